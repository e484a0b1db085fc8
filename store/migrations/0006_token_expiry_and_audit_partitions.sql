-- Tokens may expire (elkgezin token create --expires 90d); NULL never does.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
