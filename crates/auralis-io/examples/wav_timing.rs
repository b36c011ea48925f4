//! Times WAV writing and reading of 180 s of stereo audio in each format:
//! `cargo run --release -p auralis-io --example wav_timing`.

use std::time::Instant;

use auralis_core::AudioBuffer;
use auralis_io::{read_wav, write_wav, SampleFormat, WavChunkReader};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        out = Some(f());
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best * 1e3, out.expect("runs > 0"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames = 180 * 44_100;
    let channel = |phase: f32| {
        (0..frames)
            .map(|n| (n as f32 * 0.001 + phase).sin() * 0.7)
            .collect()
    };
    let audio = AudioBuffer::new(vec![channel(0.0), channel(1.0)], 44_100)?;
    let dir = std::env::temp_dir().join(format!("auralis-io-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for format in [
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Float32,
    ] {
        let path = dir.join(format!("{format:?}.wav"));
        let (encode_ms, encoded) = best_of(3, || auralis_io::encode_wav(&audio, format));
        encoded?;
        let (write_ms, written) = best_of(3, || write_wav(&path, &audio, format));
        written?;
        let (read_ms, read) = best_of(5, || read_wav(&path));
        read?;
        let (chunk_ms, frames_read) = best_of(5, || -> Result<usize, auralis_io::IoError> {
            let mut reader = WavChunkReader::open(&path)?;
            let mut chunk = Vec::new();
            let mut total = 0;
            loop {
                match reader.read_chunk(&mut chunk, 4_096)? {
                    0 => return Ok(total),
                    n => total += n,
                }
            }
        });
        assert_eq!(frames_read?, frames);
        let mb = std::fs::metadata(&path)?.len() as f64 / 1e6;
        println!(
            "{format:?}: {mb:.1} MB  encode in memory {encode_ms:.1} ms  write {write_ms:.1} ms (atomic, fsync)  \
             read {read_ms:.1} ms  \
             chunked read {chunk_ms:.1} ms"
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
