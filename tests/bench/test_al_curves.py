import pytest

from bench.al_curves import arm_summary, labels_to_match, verdict

ROUNDS = [10, 20, 30, 40, 50, 60]


def test_labels_to_match_interpolates_between_rounds():
    # 3.0 at 20 labels, 2.0 at 30: a target of 2.5 is met half-way, at 25 labels
    assert labels_to_match(ROUNDS, [5.0, 3.0, 2.0, 1.9, 1.8, 1.7], 2.5) == pytest.approx(25.0)


def test_labels_to_match_at_the_first_round_and_never():
    assert labels_to_match(ROUNDS, [1.0] * 6, 2.0) == 10.0
    assert labels_to_match(ROUNDS, [5, 4, 3, 3, 3, 3], 2.0) is None


def test_an_arm_reaching_randoms_final_error_at_half_the_labels_meets_the_target():
    random_ = [[6, 4, 3.4, 3.0, 2.6, 2.2], [6, 4.2, 3.6, 3.2, 2.8, 2.4]]  # final mean 2.3
    ranked = [[6, 3, 2.3, 2.0, 1.9, 1.8], [6, 3.2, 2.3, 2.1, 2.0, 1.9]]  # 2.3 at 30 labels
    summary = arm_summary(ROUNDS, ranked, random_)
    assert summary["labels_to_match_random_final"] == pytest.approx(30.0)
    # each seed against its own random final error: 2.2 between 30 and 40, 2.4 between 20 and 30
    assert summary["labels_to_match_per_seed"] == [
        pytest.approx(30 + 10 / 3),
        pytest.approx(20 + 80 / 9),
    ]
    assert summary["fraction_of_random_labels"] == pytest.approx(0.5)
    random_sd = [0, 0.1, 0.1, 0.1, 0.1, 0.1]
    out = verdict(ROUNDS, summary, random_sd, [6, 4.1, 3.5, 3.1, 2.7, 2.3])
    assert out["met"] and out["round"] == 30 and out["gap"] == pytest.approx(1.2)


def test_a_gap_inside_the_seed_spread_does_not_meet_the_target():
    random_ = [[6, 4, 3, 2.5, 2.3, 2.2], [6, 4, 3, 2.5, 2.3, 2.2]]
    ranked = [[6, 2.6, 2.0, 2.0, 2.0, 2.0], [6, 3.4, 2.4, 2.2, 2.2, 2.2]]  # mean 2.2 at 30
    summary = arm_summary(ROUNDS, ranked, random_)
    out = verdict(ROUNDS, summary, [0] * 6, [6, 4, 3, 2.5, 2.3, 2.2])
    assert summary["labels_to_match_random_final"] == pytest.approx(30.0)
    assert out["gap"] == pytest.approx(0.8) and out["seed_sd"] == pytest.approx(0.2)
    assert out["met"]  # 0.8 > 0.2: met; now with a noisy random arm it is not
    assert not verdict(ROUNDS, summary, [0, 1, 1, 1, 1, 1], [6, 4, 3, 2.5, 2.3, 2.2])["met"]
    late = arm_summary(ROUNDS, [[6, 5, 4, 3, 2.3, 2.2]] * 2, random_)
    assert not verdict(ROUNDS, late, [0] * 6, [6, 4, 3, 2.5, 2.3, 2.2])["met"]  # 50 > 40 labels
