// A cached method of a type declared inside a function body.
use fncache::{cache_data, cache_of};

fn main() {
    #[derive(serde::Serialize)]
    struct Local {
        x: u32,
    }

    impl Local {
        #[cache_data]
        fn twice(&self) -> u32 {
            self.x * 2
        }
    }

    #[cache_data]
    fn helper(l: &Local) -> u32 {
        l.twice() + 1
    }

    let l = Local { x: 2 };
    assert_eq!(l.twice(), 4);
    assert_eq!(helper(&l), 5);
    cache_of(Local::twice).clear();
    helper::clear();
}
