use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

mod tables {
    use fncache::{cache_data, cache_resource};

    #[cache_data]
    pub fn table(name: String, rows: u32) -> Vec<u32> {
        super::RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (0..rows).map(|r| r + name.len() as u32).collect()
    }

    #[cache_resource]
    pub(crate) fn pool(size: usize) -> Vec<u8> {
        vec![0; size]
    }
}

mod caller {
    use super::tables::{pool, table};

    pub fn reset_table(name: &str, rows: u32) {
        table::clear_entry(name.to_owned(), rows);
    }

    pub fn reset_all() {
        table::clear();
        pool::clear();
    }
}

fn main() {
    assert_eq!(tables::table("ab".into(), 2), vec![2, 3]);
    tables::table("ab".into(), 2);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    caller::reset_table("ab", 2);
    tables::table("ab".into(), 2);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);

    tables::pool(8);
    assert_eq!(tables::pool::__fncache().len(), 1);
    caller::reset_all();
    assert_eq!(tables::table::__fncache().len(), 0);
    assert_eq!(tables::pool::__fncache().len(), 0);
}
