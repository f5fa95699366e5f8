"""When the screenshot command grabs a Train scene: at the wanted step, or on a slow machine once it has trained
long enough to show something (it used to wait for the full count and fail after 300 s)."""

from __future__ import annotations

from playground.ui.screenshots import TRAIN_SECONDS_SHOWN, train_ready


def test_a_train_scene_is_grabbed_at_its_step_or_after_its_time_on_a_slow_machine():
    assert train_ready(600, 600, 5.0, True)
    assert not train_ready(599, 600, 5.0, True)
    assert not train_ready(300, 600, TRAIN_SECONDS_SHOWN - 1, True)  # fast enough to get there: wait
    assert train_ready(150, 600, TRAIN_SECONDS_SHOWN, True)  # slow: a quarter of the steps will do
    assert not train_ready(149, 600, TRAIN_SECONDS_SHOWN + 100, True)  # too little to show
    assert train_ready(10, 600, 1.0, False)  # the run ended (an error, or fewer steps): grab what is there
