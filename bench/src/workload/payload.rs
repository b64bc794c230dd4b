//! The records a run writes. Each value starts with a 16-byte header: a magic, the run's id and the send time
//! (microseconds on the run's clock), so a consumer recognises the run's own records and measures end-to-end
//! latency from the record alone. The rest is random capital letters (as Kafka's producer-perf-test writes),
//! which compress about as much as text does.

/// Bytes of the header; the smallest record size.
pub const HEADER: usize = 16;

const MAGIC: [u8; 4] = *b"aqb1";

/// A small, fast generator (xorshift64*): payloads and keys need variety, not cryptographic quality.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A record value of `size` bytes (at least [`HEADER`]) with random letters after the header.
pub fn filler(size: usize, rng: &mut Rng) -> Vec<u8> {
    let mut v = vec![0u8; size.max(HEADER)];
    for b in &mut v[HEADER..] {
        *b = b'A' + (rng.next_u64() % 26) as u8;
    }
    v
}

/// Writes the header into `value`.
pub fn stamp(value: &mut [u8], run: u32, sent_us: u64) {
    value[..4].copy_from_slice(&MAGIC);
    value[4..8].copy_from_slice(&run.to_le_bytes());
    value[8..16].copy_from_slice(&sent_us.to_le_bytes());
}

/// The send time of a record of run `run`; `None` for anything else (another writer's records in the topic).
pub fn sent_us(value: &[u8], run: u32) -> Option<u64> {
    if value.len() < HEADER || value[..4] != MAGIC || value[4..8] != run.to_le_bytes() {
        return None;
    }
    let mut t = [0u8; 8];
    t.copy_from_slice(&value[8..16]);
    Some(u64::from_le_bytes(t))
}

/// How records get keys, and so partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyDistribution {
    /// No key: the client's partitioner spreads records (librdkafka sticks to one partition per batch).
    #[default]
    None,
    /// A random 8-byte key per record: the client hashes it to a partition.
    Random,
    /// No key; each producer names the partitions in turn.
    RoundRobin,
}

impl std::str::FromStr for KeyDistribution {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "random" => Ok(Self::Random),
            "round-robin" => Ok(Self::RoundRobin),
            _ => Err(format!(
                "unknown key distribution `{s}`: use none, random or round-robin"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_record_reads_back_only_for_its_run() {
        let mut rng = Rng::new(7);
        let mut v = filler(100, &mut rng);
        assert_eq!(v.len(), 100);
        assert!(v[HEADER..].iter().all(u8::is_ascii_uppercase));
        stamp(&mut v, 42, 123_456);
        assert_eq!(sent_us(&v, 42), Some(123_456));
        assert_eq!(sent_us(&v, 43), None);
        assert_eq!(sent_us(&v[..10], 42), None);
        assert_eq!(sent_us(b"not a bench record", 42), None);
    }

    #[test]
    fn a_record_is_never_shorter_than_its_header() {
        assert_eq!(filler(3, &mut Rng::new(1)).len(), HEADER);
    }
}
