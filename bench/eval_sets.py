"""The evaluation sets of bench/eval/, by name (``<name>_<lang>.tsv``), for every script.

The tuning sets were each written apart from the line and counted once, untouched, before
anything was tuned on them (docs/understanding.md); their requests are the prompts'
examples now. The holdouts were written apart too and are only ever counted.
"""

TUNING = ("dev", "calib", "calib2", "calib3", "calib4", "calib5", "calib6", "calib7",
          "calib8", "calib9", "calib10", "calib11", "calib12", "calib13", "calib14", "calib15",
          "calib16", "calib17", "calib18", "calib19", "calib20", "calib21", "calib22",
          "calib23", "calib24", "calib25", "calib26", "calib27", "calib28", "calib29",
          "calib30", "calib31", "calib32", "calib33", "calib34", "calib35",
          "calib36", "calib37", "calib38", "calib39", "calib40", "calib41", "calib42",
          "calib43", "calib44", "calib46", "calib47", "calib48", "calib49", "calib50",
          "calib51", "calib52", "calib53", "calib54", "calib55",
          "calib56", "calib57", "calib58",
          # counted once each as holdouts, then read to choose the learned opinions'
          # rules (holdout3, holdout4 since stop 18) or filed as examples (holdout6,
          # since stop 20; holdout7, holdout8 since stop 21; holdout9 to holdout12
          # since stop 23; holdout13, holdout14 since stop 24; holdout15 to holdout18
          # since stop 25): tuning sets since
          "holdout3", "holdout4", "holdout6", "holdout7", "holdout8", "holdout9",
          "holdout10", "holdout11", "holdout12", "holdout13", "holdout14", "holdout15",
          "holdout16", "holdout17", "holdout18")
HOLDOUTS = ("holdout", "holdout2", "holdout5", "holdout19", "holdout20", "holdout21",
            "holdout22")  # only counted, never listed
SETS = TUNING + HOLDOUTS
