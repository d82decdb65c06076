"""Trackers for dialogue tests, built from the test stories (tests/test_*.yml) without running anything."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates, TrainingDataGenerator
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph


def story_trackers(domain: Domain, folder: Path) -> list[TrackerWithCachedStates]:
    """One tracker per test story, events exactly as written (no augmentation, no concatenation)."""
    steps = []
    for path in sorted(folder.glob("test_*.yml")):
        steps += YAMLStoryReader(domain).read_from_file(str(path))
    generator = TrainingDataGenerator(StoryGraph(steps), domain, remove_duplicates=False, augmentation_factor=0,
                                      use_story_concatenation=False)
    return sorted(generator.generate(), key=lambda tracker: tracker.sender_id)
