//! The web address of a person: the household plus a short keyed digest
//! of the ID number (HMAC-SHA-256 under a key the database keeps).
//!
//! A position in the household would change as members come and go, and
//! a stale link or form would then reach another member. The digest stays
//! the same as long as the person stays in the household, and tells
//! nothing of the ID number without the key.

use hmac::{Hmac, Mac};
use jianfu_store::{Db, StoreError};
use sha2::Sha256;

use crate::accounts::new_secret;

/// The name of the key in `app_keys`.
const KEY_NAME: &str = "person_ref";

/// Hex digits of a reference: 48 bits, so two members of one household
/// share one with a chance of about one in 10^13.
const REF_LEN: usize = 12;

/// Makes persons' references.
#[derive(Clone)]
pub struct PersonRefs {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for PersonRefs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonRefs(..)")
    }
}

impl PersonRefs {
    /// Under the database's key, made on first use.
    pub async fn load(db: &Db) -> Result<Self, StoreError> {
        let mut c = db.read().await?;
        let key = jianfu_store::accounts::app_key(&mut c, KEY_NAME, &new_secret()).await?;
        Ok(Self::with_key(&key))
    }

    /// Under `key`.
    pub fn with_key(key: &str) -> Self {
        PersonRefs {
            mac: Hmac::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length"),
        }
    }

    /// The reference of the person with `id_number`: 12 lowercase hex
    /// digits.
    pub fn of(&self, id_number: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(id_number.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(REF_LEN);
        for b in &digest[..REF_LEN / 2] {
            use std::fmt::Write;
            let _ = write!(out, "{b:02x}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_stable_and_keyed() {
        let a = PersonRefs::with_key("one key");
        let r = a.of("130624196603233058");
        assert_eq!(r.len(), 12);
        assert!(
            r.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(r, a.of("130624196603233058"));
        assert_ne!(r, a.of("130624196306305342"));
        assert_ne!(
            r,
            PersonRefs::with_key("another key").of("130624196603233058")
        );
    }

    #[test]
    fn the_digest_is_hmac_sha256() {
        // RFC 4231, test case 2.
        let r = PersonRefs::with_key("Jefe").of("what do ya want for nothing?");
        assert_eq!(r, "5bdcc146bf60");
    }
}
