//! Where the keys for `inspect` and `trace` come from: a generator or a key file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::Error;
use crate::hashers::HasherChoice;
use crate::units::thousands;

/// The largest key count any subcommand accepts (`--n`, `--sizes`, lines of a key file).
///
/// 100 million u64 keys take a few GB in every map compared here; anything larger is almost certainly a typo.
pub const MAX_N: usize = 100_000_000;

/// The largest `K` accepted by `strided:K` and `clustered:K` (keeps `n * K` inside u64).
pub const MAX_K: u64 = 1 << 32;

pub use glassmap_workloads::splitmix64;

/// A small reproducible random number generator (splitmix64 over a counter), for shuffles and churn.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next random u64.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        splitmix64(self.0)
    }

    /// A random index below `n` (`n > 0`); the tiny modulo bias does not matter here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// A key generator, as given to `--gen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// `0, 1, 2, ...`
    Sequential,
    /// Random-looking 64-bit keys (splitmix64 of `seed + i`), all distinct.
    Uniform,
    /// `0, K, 2K, ...`: multiples of K, which a weak hash maps to a fraction of the buckets.
    Strided(u64),
    /// Runs of K consecutive integers, each run starting at a random-looking base.
    Clustered(u64),
}

impl Generator {
    /// The first `n` keys of this generator.
    pub fn generate(self, n: usize, seed: u64) -> Vec<u64> {
        let n = n as u64;
        match self {
            Generator::Sequential => (0..n).collect(),
            Generator::Uniform => (0..n).map(|i| splitmix64(seed.wrapping_add(i))).collect(),
            Generator::Strided(k) => (0..n).map(|i| i.wrapping_mul(k)).collect(),
            Generator::Clustered(k) => (0..n)
                .map(|i| {
                    splitmix64(seed ^ (i / k).wrapping_mul(0x2545_f491_4f6c_dd1d))
                        .wrapping_add(i % k)
                })
                .collect(),
        }
    }
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generator::Sequential => f.write_str("sequential"),
            Generator::Uniform => f.write_str("uniform"),
            Generator::Strided(k) => write!(f, "strided:{k}"),
            Generator::Clustered(k) => write!(f, "clustered:{k}"),
        }
    }
}

impl FromStr for Generator {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        const EXPECTED: &str = "expected sequential, uniform, strided:K or clustered:K";
        let (name, arg) = match s.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (s, None),
        };
        let k = |arg: Option<&str>| -> Result<u64, String> {
            let arg =
                arg.ok_or_else(|| format!("generator '{name}' needs a parameter: {name}:K"))?;
            match parse_count_u64(arg) {
                Some(k) if (1..=MAX_K).contains(&k) => Ok(k),
                _ => Err(format!(
                    "'{arg}' in '{s}' is not a whole number between 1 and {MAX_K}"
                )),
            }
        };
        match (name, arg) {
            ("sequential", None) => Ok(Generator::Sequential),
            ("uniform", None) => Ok(Generator::Uniform),
            ("strided", arg) => Ok(Generator::Strided(k(arg)?)),
            ("clustered", arg) => Ok(Generator::Clustered(k(arg)?)),
            ("sequential" | "uniform", Some(_)) => {
                Err(format!("generator '{name}' takes no parameter"))
            }
            _ => Err(format!("unknown generator '{s}' ({EXPECTED})")),
        }
    }
}

/// Parses a count such as `1000`, `1_000_000`, `64k` or `8M` (k = 10^3, M = 10^6, G = 10^9).
pub fn parse_count_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, scale) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1_000),
        (i, 'm' | 'M') => (&s[..i], 1_000_000),
        (i, 'g' | 'G') => (&s[..i], 1_000_000_000),
        _ => (s, 1),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let value: u64 = digits.replace('_', "").parse().ok()?;
    value.checked_mul(scale)
}

/// Parses a key count for `--n` and friends: between 1 and [`MAX_N`].
pub fn parse_n(s: &str) -> Result<usize, String> {
    match parse_count_u64(s) {
        Some(0) => Err("must be at least 1".to_owned()),
        Some(n) if n <= MAX_N as u64 => Ok(n as usize),
        Some(_) => Err(format!("too large: at most {MAX_N} (100M)")),
        None => Err(format!(
            "'{s}' is not a count (examples: 1000, 1_000_000, 64k, 8M)"
        )),
    }
}

/// Seed for generated keys and the default hasher unless `--seed` says otherwise: "glassmap" in ASCII.
pub const DEFAULT_SEED: &str = "0x676c6173736d6170";

/// Parses a seed: decimal or hexadecimal with `0x`.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    parse_key_int(s).ok_or_else(|| format!("'{s}' is not a 64-bit seed (decimal or 0x hex)"))
}

/// Where the keys come from and how they are hashed: the arguments `inspect` and `trace` share.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyArgs {
    /// Read keys from FILE, one per line (integers or strings, see --key-type)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["generator", "n"])]
    pub keys: Option<PathBuf>,

    /// How lines of --keys are read
    #[arg(long, value_enum, default_value_t = KeyType::Auto)]
    pub key_type: KeyType,

    /// Key generator: sequential, uniform, strided:K (multiples of K), clustered:K (runs of K consecutive keys)
    #[arg(long = "gen", id = "generator", value_name = "GEN", default_value = "uniform", value_parser = Generator::from_str)]
    pub generator: Generator,

    /// Number of generated keys (1000, 64k, 1M, ...)
    #[arg(long, value_parser = parse_n, default_value = "100000")]
    pub n: usize,

    /// Hasher
    #[arg(long, value_enum, default_value_t = HasherChoice::Default)]
    pub hasher: HasherChoice,

    /// Seed for generated keys and the default hasher (decimal or 0x hex)
    #[arg(long, value_parser = parse_seed, default_value = DEFAULT_SEED)]
    pub seed: u64,
}

impl KeyArgs {
    /// Reads the key file or runs the generator.
    pub fn load(&self) -> Result<Keys, Error> {
        match &self.keys {
            Some(path) => read_key_file(path, self.key_type),
            None => Ok(Keys::Int(self.generator.generate(self.n, self.seed))),
        }
    }

    /// Where the keys came from, for headers: `100,000 uniform keys` or `keys.txt (5,000 string keys)`.
    pub fn describe(&self, keys: &Keys) -> String {
        match &self.keys {
            Some(path) => format!(
                "{} ({} {} keys)",
                path.display(),
                thousands(keys.len() as u64),
                keys.kind()
            ),
            None => format!("{} {} keys", thousands(self.n as u64), self.generator),
        }
    }
}

/// How the lines of a key file are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyType {
    /// Integers if the first key line is an integer, otherwise strings.
    Auto,
    /// Every line must be an unsigned 64-bit integer (decimal, or hex with `0x`).
    Int,
    /// Every line is a key as written (a trailing `\r` is dropped).
    String,
}

/// The keys to insert, in order. Duplicates are kept: inserting one again just replaces its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keys {
    /// Integer keys (generators, integer key files).
    Int(Vec<u64>),
    /// String keys (text key files).
    Text(Vec<String>),
}

impl Keys {
    /// How many keys (with duplicates).
    pub fn len(&self) -> usize {
        match self {
            Keys::Int(keys) => keys.len(),
            Keys::Text(keys) => keys.len(),
        }
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "integer" or "string".
    pub fn kind(&self) -> &'static str {
        match self {
            Keys::Int(_) => "integer",
            Keys::Text(_) => "string",
        }
    }
}

/// Reads one key per line from `path`. Empty lines are skipped.
///
/// # Errors
/// [`Error::ReadFile`] if the file cannot be read; [`Error::BadLine`] naming the line for a line that is not an
/// integer in integer mode or not UTF-8 in string mode; [`Error::Input`] for a file without keys or with more
/// than [`MAX_N`].
pub fn read_key_file(path: &Path, key_type: KeyType) -> Result<Keys, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    parse_keys(path, &bytes, key_type)
}

/// Parses the contents of a key file (see [`read_key_file`]); `path` is only used in messages.
pub fn parse_keys(path: &Path, bytes: &[u8], key_type: KeyType) -> Result<Keys, Error> {
    let bad = |line: usize, message: String| Error::BadLine {
        path: path.to_owned(),
        line,
        message,
    };
    let lines = bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.is_empty());
    let int_mode = match key_type {
        KeyType::Int => true,
        KeyType::String => false,
        KeyType::Auto => lines.clone().next().is_some_and(|(_, line)| {
            std::str::from_utf8(line)
                .ok()
                .and_then(parse_key_int)
                .is_some()
        }),
    };
    let keys = if int_mode {
        let mut keys = Vec::new();
        for (n, line) in lines {
            let text = String::from_utf8_lossy(line);
            let key = parse_key_int(&text).ok_or_else(|| {
                bad(
                    n,
                    format!(
                        "'{}' is not an unsigned 64-bit integer (use --key-type string for text keys)",
                        shorten(text.trim())
                    ),
                )
            })?;
            keys.push(key);
            check_count(path, keys.len())?;
        }
        Keys::Int(keys)
    } else {
        let mut keys = Vec::new();
        for (n, line) in lines {
            let key =
                std::str::from_utf8(line).map_err(|_| bad(n, "not valid UTF-8".to_owned()))?;
            keys.push(key.to_owned());
            check_count(path, keys.len())?;
        }
        Keys::Text(keys)
    };
    if keys.is_empty() {
        return Err(Error::Input(format!(
            "{}: no keys (the file is empty)",
            path.display()
        )));
    }
    Ok(keys)
}

fn check_count(path: &Path, n: usize) -> Result<(), Error> {
    if n > MAX_N {
        return Err(Error::Input(format!(
            "{}: more than {MAX_N} keys",
            path.display()
        )));
    }
    Ok(())
}

/// An integer key: decimal, or hexadecimal with a `0x` prefix; surrounding blanks are ignored.
fn parse_key_int(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if s.starts_with('+') => None,
        None => s.parse().ok(),
    }
}

/// At most 40 characters of a line, for messages.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_owned()
    } else {
        format!("{}...", s.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_parse_and_print_back() {
        for s in ["sequential", "uniform", "strided:64", "clustered:8"] {
            assert_eq!(s.parse::<Generator>().unwrap().to_string(), s);
        }
        assert_eq!(
            "strided:1k".parse::<Generator>(),
            Ok(Generator::Strided(1000))
        );
        for bad in ["zipf", "strided", "strided:0", "strided:x", "uniform:3", ""] {
            assert!(bad.parse::<Generator>().is_err(), "{bad}");
        }
        assert!(
            "zipf"
                .parse::<Generator>()
                .unwrap_err()
                .contains("unknown generator 'zipf'")
        );
    }

    #[test]
    fn generators_make_distinct_keys() {
        for g in [
            Generator::Sequential,
            Generator::Uniform,
            Generator::Strided(64),
            Generator::Clustered(16),
        ] {
            let keys = g.generate(10_000, 7);
            let distinct: std::collections::HashSet<_> = keys.iter().collect();
            assert_eq!(distinct.len(), keys.len(), "{g}");
        }
        assert_eq!(Generator::Strided(3).generate(3, 0), vec![0, 3, 6]);
        let c = Generator::Clustered(4).generate(8, 1);
        assert_eq!(c[1], c[0] + 1);
        assert_eq!(c[3], c[0] + 3);
    }

    #[test]
    fn seeds() {
        assert_eq!(
            parse_seed(DEFAULT_SEED),
            Ok(u64::from_be_bytes(*b"glassmap"))
        );
        assert_eq!(parse_seed("42"), Ok(42));
        assert!(parse_seed("x").is_err());
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count_u64("1_000_000"), Some(1_000_000));
        assert_eq!(parse_count_u64("8M"), Some(8_000_000));
        assert_eq!(parse_count_u64("64k"), Some(64_000));
        assert_eq!(parse_count_u64("k"), None);
        assert_eq!(parse_count_u64("-1"), None);
        assert_eq!(parse_count_u64("1.5M"), None);
        assert!(parse_n("0").is_err());
        assert!(parse_n("1G").is_err());
        assert_eq!(parse_n("100M"), Ok(MAX_N));
    }

    #[test]
    fn key_files() {
        let p = Path::new("k.txt");
        assert_eq!(
            parse_keys(p, b"1\n2\r\n\n0x10\n", KeyType::Auto).unwrap(),
            Keys::Int(vec![1, 2, 16])
        );
        assert_eq!(
            parse_keys(p, b"alpha\n42\n", KeyType::Auto).unwrap(),
            Keys::Text(vec!["alpha".into(), "42".into()])
        );
        assert_eq!(
            parse_keys(p, b"7\n", KeyType::String).unwrap(),
            Keys::Text(vec!["7".into()])
        );
        let e = parse_keys(p, b"1\n2\nthree\n", KeyType::Auto).unwrap_err();
        assert_eq!(
            e.to_string(),
            "k.txt:3: 'three' is not an unsigned 64-bit integer (use --key-type string for text keys)"
        );
        let e = parse_keys(p, b"1\n-2\n", KeyType::Int).unwrap_err();
        assert!(e.to_string().starts_with("k.txt:2: '-2'"), "{e}");
        let e = parse_keys(p, b"a\n\xff\n", KeyType::String).unwrap_err();
        assert_eq!(e.to_string(), "k.txt:2: not valid UTF-8");
        let e = parse_keys(p, b"\n\n", KeyType::Auto).unwrap_err();
        assert!(e.to_string().contains("no keys"));
    }
}
