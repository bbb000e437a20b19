//! Balances from postings: one `account,amount` line each, in whole units.

use std::collections::BTreeMap;

/// Each account's balance, summed over the postings; lines that are blank, comments (#) or malformed
/// are skipped.
pub fn balances(postings: &str) -> BTreeMap<String, i64> {
    let mut totals = BTreeMap::new();
    for line in postings.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((account, amount)) = line.split_once(',') {
            if let Ok(amount) = amount.trim().parse::<i64>() {
                *totals.entry(account.trim().to_owned()).or_insert(0) += amount;
            }
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::balances;

    #[test]
    fn skips_comments_and_malformed_lines() {
        let totals = balances("# header\nbob,5\nbob,x\n\nbob\n");
        assert_eq!(totals.get("bob"), Some(&5));
        assert_eq!(totals.len(), 1);
    }
}
