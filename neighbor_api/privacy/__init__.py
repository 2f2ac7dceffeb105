"""Personal data (PIPL): the log of full phone numbers revealed, account deletion and the
erasure job, the export of everything stored about a person."""
