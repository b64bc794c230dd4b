//! Name patterns for `list` commands: `*` matches any run of characters, `?` any one; anything else matches
//! itself.

/// Whether `name` matches the glob `pattern`.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn stars_and_question_marks() {
        assert!(glob("orders", "orders"));
        assert!(!glob("orders", "orders-eu"));
        assert!(glob("orders*", "orders-eu"));
        assert!(glob("*-eu", "orders-eu"));
        assert!(glob("o?ders*eu", "orders-west-eu"));
        assert!(!glob("*-us", "orders-eu"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c-y-b"));
    }
}
