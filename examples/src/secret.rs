//! Comparing a secret someone sent with the one configured.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether `given` is `expected`, in constant time: hashing both first hides the lengths too.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(given)
        .ct_eq(&Sha256::digest(expected))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_bytes_are_the_same_secret() {
        assert!(same_secret(b"token-1", b"token-1"));
        assert!(!same_secret(b"token-1", b"token-2"));
        assert!(!same_secret(b"token", b"token-1"));
        assert!(!same_secret(b"", b"token"));
    }
}
