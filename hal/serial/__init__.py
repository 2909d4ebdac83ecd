"""Serial backend: framed device protocol over pyserial (COBS, CRC-32C, sequence numbers)."""
