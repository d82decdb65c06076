/* The two DOM helpers of every console page (console, queue, tools, reports): an element by its id, and a new
   element with its class and text. Text is always textContent, never HTML: customers' words stay inert. */
(function () {
  "use strict";
  window.TopupDom = {
    $: function (id) { return document.getElementById(id); },
    el: function (tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined && text !== null) node.textContent = String(text);
      return node;
    }
  };
})();
