"""What ``genriflow cluster`` runs (:class:`ClusterConfig`), checked without importing
NumPy, scikit-learn or torch; :mod:`.clustering` runs it."""

from __future__ import annotations

from dataclasses import dataclass

from genriflow.errors import ConfigError, at_least, one_of

#: Method names of ``genriflow cluster``.
CLUSTER_METHODS = ("pca-gmm", "kmeans", "lstm-autoencoder")


@dataclass(frozen=True)
class ClusterConfig:
    """What ``genriflow cluster`` runs; saved as ``config.json`` in the run folder.

    Attributes
    ----------
    methods : tuple of str
        Names in :data:`CLUSTER_METHODS`.
    n_clusters : int or None
        ``None``: one cluster per label in the data.
    n_components : int
        Principal components before clustering.
    seed : int
    """

    methods: tuple[str, ...] = ("pca-gmm", "kmeans")
    n_clusters: int | None = None
    n_components: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.methods:
            raise ConfigError("methods", "names no clustering method")
        for method in self.methods:
            one_of("methods", method, CLUSTER_METHODS)
        at_least("n_clusters", self.n_clusters, 2, optional=True)
        # Named as the public API and the command line name it (components=, --components).
        at_least("components", self.n_components, 1)
        at_least("seed", self.seed, 0)  # NumPy's and scikit-learn's seeds are not negative


def refuse_vectors_for_frame_methods(methods: tuple[str, ...] | list[str], *,
                                     feature_set: str, table: object = None) -> None:
    """Refuse ``lstm-autoencoder`` on one vector a song (a feature table, or a vector
    feature set) before any feature is computed: it was refused after, hours into a large
    folder. A frame set of the wrong rank is still refused by the method once computed.

    >>> refuse_vectors_for_frame_methods(["kmeans"], feature_set="kaggle")
    >>> refuse_vectors_for_frame_methods(["lstm-autoencoder"], feature_set="kaggle")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `methods` lstm-autoencoder needs a frame set ...
    """
    if "lstm-autoencoder" not in methods:
        return
    from genriflow.features.sets import FeatureConfig
    from genriflow.features.sets import feature_set as set_named

    if table is None and set_named(feature_set).column_names(
            FeatureConfig(set=feature_set)) is None:
        return
    given = ("a feature table (`table`)" if table is not None
             else f"`feature_set` {feature_set!r}")
    raise ConfigError("methods", "lstm-autoencoder needs a frame set (an array of frames a "
                      f"song, such as genriflow-stack or log-mel); {given} is one vector a song")
