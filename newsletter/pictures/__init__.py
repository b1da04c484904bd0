"""Pictures of the exercises, drawn from data: a small figure model (model.py) whose poses
are a few numbers per exercise (the ``picture:`` block of exercises.yaml, read by spec.py),
rendered to SVG (svg.py) in one style for every exercise.
"""
