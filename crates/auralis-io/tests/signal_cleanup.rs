//! What a SIGINT/SIGTERM handler does before exiting: `remove_temporaries` deletes the named
//! temporary being written, and no new one can be made afterwards in this process. Its own
//! test binary, because that second effect is permanent for the process.

mod common;

use common::names;

use auralis_io::{remove_temporaries, write_atomically, write_atomically_with};

#[test]
fn remove_temporaries_deletes_what_is_being_written_and_blocks_new_ones() {
    std::env::set_var("AURALIS_IO_NAMED_TEMPORARIES", "1");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    let _ = write_atomically_with(&path, |w| {
        w.write_all(b"partial")?;
        remove_temporaries(); // what the signal handler does
        assert!(
            !names(dir.path()).iter().any(|n| n.contains("auralis-tmp")),
            "{:?}",
            names(dir.path())
        );
        Err(std::io::Error::other("interrupted"))
    });
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    let err = write_atomically(&dir.path().join("late.wav"), b"x").unwrap_err();
    assert!(err.to_string().contains("exiting"), "{err}");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}
