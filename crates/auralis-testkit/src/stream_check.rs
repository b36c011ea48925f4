//! Streams held to their whole-file twins, and their allocations counted.

use auralis_core::alloc_count::thread_allocations;
use auralis_core::{AudioBuffer, StreamProcessor};
use auralis_fixtures::rng::SplitMix64;

/// Chunk-size patterns (frames per call, cycled) a stream must not care about: everything
/// at once, powers of two, one either side of the usual hops (1024, 2048), a prime, and two
/// random mixes including empty chunks. One-frame chunks are run separately, over the first
/// second only (they are slow in nothing but time).
pub const CHUNK_PATTERNS: [(&str, &[usize]); 9] = [
    ("all at once", &[usize::MAX]),
    ("256", &[256]),
    ("4096", &[4096]),
    ("1023", &[1023]),
    ("1025", &[1025]),
    ("2047/2049", &[2047, 2049]),
    ("prime 997", &[997]),
    ("mixed 7, 2048, 1, 3, 10000, 0", &[7, 2048, 1, 3, 10_000, 0]),
    ("random", &[]), // filled from a seeded generator by `chunk_sizes`
];

fn chunk_sizes(pattern: &[usize]) -> Vec<usize> {
    if !pattern.is_empty() {
        return pattern.to_vec();
    }
    let mut rng = SplitMix64::new(0x5EED);
    (0..257)
        .map(|_| {
            if rng.chance(0.5) {
                rng.index(8)
            } else {
                1000 + rng.index(8000)
            }
        })
        .collect()
}

/// Streams `audio` (then `latency` frames of silence to flush) through `stream` in chunks of
/// `sizes` frames (cycled) and returns the output with the latency removed, per channel.
pub fn stream_through(
    stream: &mut dyn StreamProcessor,
    audio: &AudioBuffer,
    sizes: &[usize],
) -> Vec<Vec<f32>> {
    let channels = audio.num_channels();
    let latency = stream.latency_frames();
    let mut input = audio.to_interleaved();
    input.resize(input.len() + latency * channels, 0.0);
    let mut output = vec![f32::NAN; input.len()];
    let total = input.len() / channels;
    let (mut at, mut k) = (0, 0);
    while at < total {
        let frames = sizes[k % sizes.len()].min(total - at);
        k += 1;
        let range = at * channels..(at + frames) * channels;
        stream
            .process_interleaved(&input[range.clone()], &mut output[range])
            .unwrap_or_else(|e| panic!("stream refused a chunk of {frames} frames: {e}"));
        at += frames;
    }
    (0..channels)
        .map(|c| {
            output[latency * channels..]
                .iter()
                .skip(c)
                .step_by(channels)
                .copied()
                .collect()
        })
        .collect()
}

/// Panics, naming the first differing sample, unless `actual` has the bits of `expected`.
pub fn assert_bit_identical(expected: &AudioBuffer, actual: &[Vec<f32>], what: &str) {
    assert_eq!(
        expected.num_channels(),
        actual.len(),
        "{what}: channel count"
    );
    for (c, (e, a)) in expected.channels().iter().zip(actual).enumerate() {
        assert_eq!(e.len(), a.len(), "{what}: channel {c} length");
        if let Some(i) = e
            .iter()
            .zip(a)
            .position(|(x, y)| x.to_bits() != y.to_bits())
        {
            panic!(
                "{what}: channel {c} sample {i}: whole-file {} stream {}",
                e[i], a[i]
            );
        }
    }
}

/// The stream, reset between patterns, reproduces `expected` (its whole-file twin's output
/// on `audio`) bit for bit for every [`CHUNK_PATTERNS`] entry, and one frame at a time over
/// the first second (or four latencies, whichever is longer).
pub fn check_stream(
    stream: &mut dyn StreamProcessor,
    audio: &AudioBuffer,
    expected: &AudioBuffer,
    what: &str,
) {
    for (name, pattern) in CHUNK_PATTERNS {
        stream.reset();
        let out = stream_through(stream, audio, &chunk_sizes(pattern));
        assert_bit_identical(expected, &out, &format!("{what}, chunks {name}"));
    }
    // One frame at a time: the first second only (at least four latencies). The stream's
    // output up to there depends on nothing later, but the whole-file twin's output near the
    // prefix's end does, so compare what lies two latencies before it.
    stream.reset();
    let latency = stream.latency_frames();
    let head = (audio.sample_rate() as usize)
        .max(4 * latency)
        .min(audio.len());
    let settled = head.saturating_sub(2 * latency.max(1));
    assert!(
        settled > 0,
        "{what}: the input is too short for the one-frame check (latency {latency} frames)"
    );
    let out = stream_through(stream, &crate::signals::prefix(audio, head), &[1]);
    let out_head: Vec<Vec<f32>> = out.iter().map(|c| c[..settled].to_vec()).collect();
    assert_bit_identical(
        &crate::signals::prefix(expected, settled),
        &out_head,
        &format!("{what}, 1-frame chunks"),
    );
}

/// Whether this test binary counts allocations per thread (installed
/// `ThreadCountingAllocator`); a "no allocation" check is vacuous without it.
pub fn counting_allocator_installed() -> bool {
    let before = thread_allocations();
    let v = std::hint::black_box(vec![1u8; 16]);
    drop(v);
    thread_allocations() > before
}

/// After its first chunk, the stream processes chunks of 1 frame to several FFT sizes and a
/// reset without a single allocation on the calling (audio) thread.
pub fn check_stream_allocations(stream: &mut dyn StreamProcessor, audio: &AudioBuffer, what: &str) {
    assert!(
        counting_allocator_installed(),
        "{what}: install ThreadCountingAllocator as the test binary's global allocator"
    );
    let channels = audio.num_channels();
    let input = audio.to_interleaved();
    let mut output = vec![0.0f32; input.len()];
    let first = (256 * channels).min(input.len());
    stream
        .process_interleaved(&input[..first], &mut output[..first])
        .unwrap_or_else(|e| panic!("{what}: first chunk refused: {e}"));
    let before = thread_allocations();
    let mut at = 0;
    for (round, frames) in [1usize, 7, 256, 1023, 1024, 1025, 4096, 9000]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let len = (frames * channels).min(input.len() - at);
        stream
            .process_interleaved(&input[at..at + len], &mut output[at..at + len])
            .unwrap_or_else(|e| panic!("{what}: chunk refused: {e}"));
        at = (at + len) % input.len();
        if round == 20 {
            stream.reset();
        }
    }
    let during = thread_allocations() - before;
    assert_eq!(
        during, 0,
        "{what}: {during} allocations in the streaming hot path"
    );
}
