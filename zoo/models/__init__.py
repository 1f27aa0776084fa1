"""Reference models, one folder per task; each module registers its builders
in `zoo.registry` when imported."""
