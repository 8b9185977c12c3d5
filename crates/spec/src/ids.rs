//! Names a tenant chooses: worker ids and Tail Worker lists.

/// Most Tail Workers one worker may name.
pub const MAX_TAILS: usize = 4;

/// A worker id: 1-128 characters of letters, digits, `-`, `_` and `.` (not leading), so that an
/// id is also a safe path segment and never spells another tenant's scoped id (`tenant/id`).
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 128 {
        return Err("worker ids are 1 to 128 characters".into());
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        || id.starts_with('.')
    {
        return Err(format!(
            "worker id {id:?}: use letters, digits, '-', '_' and '.' (not leading)"
        ));
    }
    Ok(())
}

/// A worker's `tails`: at most [`MAX_TAILS`] worker ids.
pub fn check_tails(tails: &[String]) -> Result<(), String> {
    if tails.len() > MAX_TAILS {
        return Err(format!(
            "tails: at most {MAX_TAILS} tail workers, got {}",
            tails.len()
        ));
    }
    for t in tails {
        check_id(t).map_err(|e| format!("tails: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_path_safe() {
        assert!(check_id("echo-1.v2_x").is_ok());
        for bad in ["", ".hidden", "a/b", "..", "a b", "é", &"x".repeat(129)] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_tails(&vec!["t".to_string(); 5]).is_err());
    }
}
