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

from nlu_zh.normalise import normalise_entity, normalise_text


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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityValueNormalizer(_Stateless):
    """Canonical entity values for the slots: KM + 14 digits, a 4-digit tail, an amount as a number,
    a product or payment method by its canonical name (resources/entities.yml)."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES) or []
            for entity in entities:
                entity["value"] = normalise_entity(entity["entity"], str(entity.get("value", "")))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
