"""NOTIFIER_REPLICAS / NOTIFIER_REPLICA: which partitions a notifier is assigned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notifier.consumer import assignment
from services.notifier.settings import NotifierSettings
from shared import topics


def settings(**values: int) -> NotifierSettings:
    return NotifierSettings(_env_file=None, **values)  # type: ignore[arg-type]


def test_one_notifier_reads_every_partition() -> None:
    assert settings(kafka_topic_partitions=3).assigned_partitions() == [0, 1, 2]


def test_replicas_split_the_partitions_between_them_without_overlap() -> None:
    split = [
        settings(kafka_topic_partitions=5, notifier_replicas=2, notifier_replica=r) for r in (0, 1)
    ]
    assert [s.assigned_partitions() for s in split] == [[0, 2, 4], [1, 3]]
    tps = assignment(split[1], *topics.EVENT_TOPICS)
    assert sorted((tp.topic, tp.partition) for tp in tps) == sorted(
        (t, p) for t in topics.EVENT_TOPICS for p in (1, 3)
    )


@pytest.mark.parametrize(
    ("replicas", "replica"),
    [(2, 2), (4, 0), (1, 1)],  # number out of range; more replicas than partitions (3)
)
def test_a_replica_number_or_count_that_leaves_partitions_unread_is_refused(
    replicas: int, replica: int
) -> None:
    with pytest.raises(ValidationError, match="NOTIFIER_REPLICA"):
        settings(kafka_topic_partitions=3, notifier_replicas=replicas, notifier_replica=replica)
