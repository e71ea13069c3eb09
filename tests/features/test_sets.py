import numpy as np
import pytest

from genriflow.features import FEATURE_SET_NAMES
from genriflow.features.sets import FEATURE_SETS, FeatureConfig, feature_set
from genriflow.features.spectra import Spectra
from sample_audio import SR, tone


def test_the_cli_list_of_names_is_the_registry():
    assert tuple(FEATURE_SETS) == FEATURE_SET_NAMES


def test_every_set_computes_on_one_shared_spectra():
    spectra = Spectra(tone(30.0), SR)
    shapes = {name: fs.compute(spectra, FeatureConfig(set=name)).shape
              for name, fs in FEATURE_SETS.items()}
    assert shapes["kaggle"] == (57,)
    assert shapes["genriflow-stack"] == (166, 1292)
    assert shapes["cs229-mel"] == (4, 64, 173) and shapes["cs229-raw"] == (4, 44100)
    assert shapes["mel-image"] == (128, 128)
    assert shapes["spectral-summary"] == (len(feature_set("spectral-summary").column_names(
        FeatureConfig(set="spectral-summary"))),)


def test_options_change_the_digest_and_are_validated():
    plain = FeatureConfig(set="spectral-summary")
    rich = FeatureConfig(set="spectral-summary", options={"rich": True})
    assert plain.digest() != rich.digest()
    fs = feature_set("spectral-summary")
    assert len(fs.column_names(rich)) > len(fs.column_names(plain))
    with pytest.raises(ValueError, match="`options` are not those of feature set"):
        fs.params_of(FeatureConfig(set="spectral-summary", options={"bands": 3}))
    with pytest.raises(ValueError, match="`feature_set` must be one of kaggle, "):
        feature_set("wavelets")
    assert np.isfinite(fs.compute(Spectra(tone(3.0), SR), rich)).all()


def test_the_spectral_sets_named_lazily_are_the_representations():
    """sets.py names the representations without importing them (librosa, SciPy, numba):
    the network and table sets' configurations, what a model folder or the feature store
    holds, import neither (a representation's options are checked by its own class)."""
    import subprocess
    import sys

    from genriflow.features.representations import REPRESENTATIONS

    for name, (params, _) in REPRESENTATIONS.items():
        config = FeatureConfig(set=name)
        assert feature_set(name).params_of(config) == params()
    code = ("import sys; from genriflow.features.sets import FeatureConfig; "
            "[FeatureConfig(set=s).digest() for s in ('kaggle', 'musicnn', 'musicnn-tags', "
            "'msd-musicnn', 'mtt-vgg')]; "
            "print(sorted(m for m in ('librosa', 'scipy', 'numba', 'torch') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"
