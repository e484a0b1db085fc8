-- The read model shows a family's pregnancy and children to the people who
-- work with it: the expected due date and children from the referral, and
-- the birth once recorded (the child then joins the children).
ALTER TABLE trajectories
    ADD COLUMN expected_due_date date,
    ADD COLUMN born_on date,
    ADD COLUMN children jsonb NOT NULL DEFAULT '[]'::jsonb;
