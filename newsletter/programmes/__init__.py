"""Programmes: a sequence of emails each reader who joins gets from the day they join
(the bundled "Stronger feet in 11 weeks"), defined in ``programmes.yaml`` beside feeds.yaml.

``model.py`` is what a programme is; ``file.py`` reads and checks the file; ``schedule.py``
decides, purely, when each reader's next step is due; ``render.py`` renders a step's email;
``due.py`` is `run`'s step: queue the steps due today and send them through the digest's
sender.
"""
