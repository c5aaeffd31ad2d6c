"""The import of long-form CSV files (README, "Import and export").

Modules import one way, from the service down:

    service                       transaction, dry run, the choice of writer
      -> portable | postgres      the two writers (postgres: staging, setwise)
        -> cases                  batches of cases compared and written by the ORM
          -> conflicts, history   disagreeing rows described; history records
            -> rows -> reader     one record parsed; files read and cells cleaned
              -> columns -> cells -> result

``tests/testimony/imports/test_layers.py`` keeps it so.
"""
