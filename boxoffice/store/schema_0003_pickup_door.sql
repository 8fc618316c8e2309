-- Pickup desk and door: pickups, check-ins, order search. Filled in with that feature.
SELECT 1;
