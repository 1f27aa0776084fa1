"""The forecast family: the last two years of a weekly series -> the next half year."""

from zoo import tasks

FAMILY = tasks.FORECASTING.derive(
    "forecast",
    metric="mase",
    trainer="zoo.models.forecast.train:main",
    preprocess="zoo.models.forecast.preprocessing:preprocess",
    postprocess="zoo.models.forecast.preprocessing:postprocess",
    representative_data="zoo.models.forecast.preprocessing:representative_data",
    description="weekly-series forecasting")
