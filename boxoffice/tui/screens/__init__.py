"""The counter's screens, one job each: sale, will-call, door, people and money."""
