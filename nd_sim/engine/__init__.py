"""One replication: the cohort drawn, the compiled weekly timetable run, raw results out."""
