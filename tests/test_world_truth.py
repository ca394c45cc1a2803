"World truth beyond the chapter: cache keys, new test configurations, perceptions, the oracle's inputs."
import numpy as np
import pytest

from personacap import world as W
from personacap.core import ConfigError, DatasetError

SMALL = dict(n_scenes=80, n_portraits=60, n_subjects=5, n_unseen_subjects=2, pairs_per_subject_train=20, pairs_eval=20)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    return W.build_world(W.WorldConfig(seed=3, **SMALL), tmp_path_factory.mktemp("w") / "world")


def test_world_dir_changes_with_the_generator_code(monkeypatch):
    cfg = W.WorldConfig(**SMALL)
    a = W.world_dir(cfg, "tiny")
    assert a == W.world_dir(cfg, "tiny")
    monkeypatch.setattr(W, "world_code_digest", lambda: "0" * 16)
    assert W.world_dir(cfg, "tiny") != a, "an edit of personacap.world must name a new cache folder"
    assert f"-v{W.WORLD_VERSION}-" in a.name


def test_world_code_digest_is_the_module_digest():
    from personacap.core import code_digest
    assert W.world_code_digest() == code_digest(W)


def test_val_and_test_configurations_are_not_in_training():
    spec = W.make_world(W.WorldConfig(seed=1, **SMALL))
    for items, key in ((spec.scenes, W.scene_configuration), (spec.portraits, W.portrait_configuration)):
        train = {key(v) for k, v in items.items() if spec.split[k] == "train"}
        assert not [k for k, v in items.items() if spec.split[k] != "train" and key(v) in train]
    # re-drawn scenes keep their number of objects, so the mix of scene sizes is the independent draw's
    again = W.make_world(W.WorldConfig(seed=1, **SMALL))
    assert again.captions == spec.captions and again.redrawn == spec.redrawn


def test_scene_configuration_ignores_jitter_and_order():
    a = W.Obj("star", "red", "small", 0.16, 0.17, 0.08, 0)
    b = W.Obj("circle", "blue", "large", 0.5, 0.5, 0.12, 4)
    jittered = W.Obj("star", "red", "small", 0.18, 0.15, 0.085, 0)
    assert W.scene_configuration([a, b]) == W.scene_configuration([b, jittered])
    assert W.scene_configuration([a]) != W.scene_configuration([W.Obj("star", "red", "large", 0.16, 0.17, 0.12, 0)])


def test_unseen_configurations_gives_up_loudly():
    items = {"x": 1, "y": 1}
    with pytest.raises(ConfigError, match="not in training"):
        W._unseen_configurations(items, {"x": "train", "y": "test"}, key=lambda v: v, redraw=lambda v: 1, max_tries=5)


def test_image_kind_is_one_function():
    assert W.image_kind("scene_00001") == "scene" and W.image_kind("portrait_00001") == "portrait"
    assert W.image_kind("face_001") == "unknown"
    assert W.WorldTruth.kind is W.image_kind or W.WorldTruth.kind("scene_1") == "scene"


def test_perceives_agrees_with_noise_free_choices(small_world):
    t = W.WorldTruth(small_world)
    tab = t.perception_table()
    rng = np.random.default_rng(0)
    for _ in range(200):
        s = t.subject_ids[rng.integers(len(t.subject_ids))]
        a = W.PERCEPTION_ATTRIBUTES[rng.integers(3)]
        x, y = rng.choice(t.portrait_ids, 2, replace=False)
        px, py = t.perceives(s, x, a), t.perceives(s, y, a)
        assert (px, py) == (tab[s, x, a], tab[s, y, a])
        if px and not py: assert t.noise_free_choice(s, x, y, a) == "a"
        if py and not px: assert t.noise_free_choice(s, x, y, a) == "b"
    with pytest.raises(ConfigError, match="perception attribute"):
        t.perceives(t.subject_ids[0], t.portrait_ids[0], "handsome")


def test_references_use_population_perceptions_only(small_world):
    import json
    t = W.WorldTruth(small_world)
    data = json.loads((small_world / "dataset_world.json").read_text())
    for im in data["images"]:
        k = im["filename"][:-4]
        if t.kind(k) != "portrait": continue
        for s in im["sentences"]:
            assert W.perception_words(s["raw"]) <= set(t.population_perceived(k)), (k, s["raw"])


def test_oracle_sources_and_errors(small_world):
    from personacap.data import load_world
    t = W.WorldTruth(small_world)
    ids = t.portrait_ids[:3] + list(t.d["scenes"])[:3]
    by_truth = W.oracle_captions(t, ids, style=2)
    assert W.oracle_captions(small_world, ids, style=2) == by_truth                  # a folder
    assert W.oracle_captions(load_world(small_world), ids, style=2) == by_truth      # a data.World
    assert W.oracle_captions(t, ids[:1], style=2) == by_truth[:1]                    # each image on its own stream
    with pytest.raises(DatasetError, match="not an image"):
        W.oracle_captions(t, ["face_001"])
    with pytest.raises(ConfigError, match="style"):
        W.oracle_captions(t, ids, style="detailed")
