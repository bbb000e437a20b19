use ledger_core::balances;

#[test]
fn sums_each_account() {
    let totals = balances("alice,100\nbob,-30\nalice,20\n");
    assert_eq!(totals["alice"], 120);
    assert_eq!(totals["bob"], -30);
}
