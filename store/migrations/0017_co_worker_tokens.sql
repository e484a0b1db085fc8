-- Co-workers (bridge figures, experts by experience) sign in with tokens
-- of their own, scoped like a coach's to one or more programmes.
ALTER TABLE api_tokens
    DROP CONSTRAINT api_tokens_kind_check,
    ADD CONSTRAINT api_tokens_kind_check CHECK (kind IN ('partner', 'coach', 'supervisor', 'admin', 'co_worker')),
    DROP CONSTRAINT api_tokens_programmes_by_kind,
    ADD CONSTRAINT api_tokens_programmes_by_kind CHECK (
        (kind IN ('coach', 'supervisor', 'co_worker')) = (cardinality(programmes) > 0));
