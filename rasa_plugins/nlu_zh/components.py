"""Rasa pipeline components around the spaCy pipeline: text normalisation before it, entity values after it."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_plugins.nlu_zh.normalise import normalise_entity, normalise_text
from topup.pii import MASKED_CARD


class _Stateless(GraphComponent):
    """A component with no configuration and nothing to train or persist."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


# Registered as a tokenizer-type component only so Rasa also runs it on the training data; it does not tokenize.
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ChineseTextNormalizer(_Stateless):
    """Full-width → half-width, traditional → simplified, emoji and control characters blanked,
    repeated punctuation folded; the text keeps its length so entity offsets stay valid."""

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if text:
            message.set(TEXT, normalise_text(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalise(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalise(message)
        return messages


def _inside_masked_card(entity: dict, text: str) -> bool:
    """A number the channel guard masked as 622202*********0123: none of its digits is an entity."""
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return False
    return any(m.start() <= start and end <= m.end() for m in MASKED_CARD.finditer(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityValueNormalizer(_Stateless):
    """Canonical entity values for the slots: KM + 14 digits, a 4-digit tail, an amount as a number,
    a product or payment method by its canonical name (resources/entities.yml)."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = [e for e in message.get(ENTITIES) or [] if not _inside_masked_card(e, text)]
            for entity in entities:
                entity["value"] = normalise_entity(entity["entity"], str(entity.get("value", "")))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
