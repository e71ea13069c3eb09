"""Training: the one loop every network goes through (:mod:`~genriflow.training.loop`), and
fitting models while choosing them on the validation part only. Testing, figures and
reports are :mod:`genriflow.evaluation`'s."""
