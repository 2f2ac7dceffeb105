"""Grid workers' patrols (巡查): the rounds they walk, logged after each round."""
