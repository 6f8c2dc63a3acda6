"""ledgerlab's modelling layer: marts (DuckDB) -> Polars features -> scikit-learn models.

Public entry points (the project CLI calls exactly these):
``ml.train.train_task``, ``ml.score.score_task``, ``ml.predict.predict_file``,
``ml.tasks.available_tasks`` / ``ml.tasks.load_task``.
"""
