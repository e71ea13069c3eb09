"""The service samples songs as ``genriflow predict`` does: adaptive unless told a count."""

import pytest

from genriflow.errors import ConfigError
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.service.config import ServiceConfig


def test_default_is_the_adaptive_sampling_of_predict():
    config = ServiceConfig()
    assert config.excerpts is None
    assert Sampling.of(config.excerpts, full=False) == DEFAULT_SAMPLING
    assert DEFAULT_SAMPLING.first is not None


def test_a_count_fixes_the_excerpts():
    assert Sampling.of(ServiceConfig(excerpts=6).excerpts, full=False) == Sampling(excerpts=6)


def test_fewer_than_one_excerpt_is_refused_naming_the_field():
    with pytest.raises(ConfigError, match="excerpts"):
        ServiceConfig(excerpts=0)


def test_a_model_that_is_neither_a_folder_nor_built_in_is_refused_before_serving(tmp_path):
    # It used to start a server that answered every request 503 until stopped.
    from genriflow.models.answers import ModelError

    with pytest.raises(ModelError, match="no-such-model"):
        ServiceConfig(model="no-such-model")
    with pytest.raises(ModelError, match="no config.json"):
        ServiceConfig(model=str(tmp_path))
    assert ServiceConfig(model="zero-shot").model == "zero-shot"
