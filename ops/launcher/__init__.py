"""The one launcher of the assistant's processes, supervised by supervisord.

    python -m ops.launcher run          the run command (make run, make run-scaled): prepare, start, supervise
    python -m ops.launcher status       what supervisord says about each process of a running launcher
    python -m ops.launcher nginx-docker the containers' nginx.conf, rendered from the same template

`plan` says which processes the settings call for, `supervisor` runs them under supervisord (restarted with
backoff when they die, logged, Ctrl-C stops all), `nginx` renders the balancer's configuration, and `stack`
starts a whole launcher as a subprocess for the benchmark and the end-to-end, browser, supervision and
scale-out tests, exactly as the run command does.
"""
