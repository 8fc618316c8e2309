-- Refunds, exchanges, shifts and cash movements. Filled in with that feature.
SELECT 1;
