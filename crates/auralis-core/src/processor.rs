//! Audio in, audio out: the shape that lets stages chain.
//!
//! The EQ returns audio; dynamics return audio *and* a gain trace. [`AudioProcessor`] gives
//! both one shape — audio out into a caller-owned buffer, plus a per-stage [`Report`] (`()`
//! for the EQ, the gain trace and its statistics for dynamics) — so that
//! `eq.then(dynamics)` is itself a processor whose report is the pair. Each step runs the
//! implementation a chooser gives for its stage's name: the facade's measured selection, or
//! one fixed kind.
//!
//! [`Report`]: AudioProcessor::Report

use crate::{AudioBuffer, ImplKind, Result};

/// Picks the implementation for a stage, by the stage's name in `selection.json`.
pub type Chooser<'a> = &'a dyn Fn(&'static str) -> ImplKind;

/// A stage that turns audio into audio, reporting on the side.
pub trait AudioProcessor: Send + Sync {
    /// What the stage reports beside its audio.
    type Report;

    /// The stage's name in `selection.json` (what `choose` is asked about).
    fn stage_name(&self) -> &'static str;

    /// Processes `audio` with the implementation `choose` names for this stage, writing the
    /// result into `output` (reusing its allocations where the shape allows; on error it
    /// is left empty).
    fn process_into(
        &self,
        choose: Chooser<'_>,
        audio: &AudioBuffer,
        output: &mut Option<AudioBuffer>,
    ) -> Result<Self::Report>;

    /// This stage, then `next` on its output.
    fn then<B: AudioProcessor>(self, next: B) -> Then<Self, B>
    where
        Self: Sized,
    {
        Then {
            first: self,
            second: next,
        }
    }

    /// [`AudioProcessor::process_into`] into a fresh buffer.
    fn process(
        &self,
        choose: Chooser<'_>,
        audio: &AudioBuffer,
    ) -> Result<(AudioBuffer, Self::Report)> {
        let mut output = None;
        let report = self.process_into(choose, audio, &mut output)?;
        let audio = output
            .ok_or_else(|| crate::Error::Other(format!("{} wrote no output", self.stage_name())))?;
        Ok((audio, report))
    }
}

/// Two processors in a row; its report is both reports.
#[derive(Debug, Clone)]
pub struct Then<A, B> {
    pub first: A,
    pub second: B,
}

impl<A: AudioProcessor, B: AudioProcessor> AudioProcessor for Then<A, B> {
    type Report = (A::Report, B::Report);

    /// The second stage's name (a chain's output is its last stage's).
    fn stage_name(&self) -> &'static str {
        self.second.stage_name()
    }

    fn process_into(
        &self,
        choose: Chooser<'_>,
        audio: &AudioBuffer,
        output: &mut Option<AudioBuffer>,
    ) -> Result<Self::Report> {
        // The earlier output is lent to the last step; on an error before it, the output is
        // left empty as promised, not holding the earlier result.
        let mut lent = output.take();
        let (middle, first) = self.first.process(choose, audio)?;
        let second = self.second.process_into(choose, &middle, &mut lent)?;
        *output = lent;
        Ok((first, second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Multiplies by a constant; reports the implementation it ran.
    struct Gain(f32, &'static str);

    impl AudioProcessor for Gain {
        type Report = ImplKind;
        fn stage_name(&self) -> &'static str {
            self.1
        }
        fn process_into(
            &self,
            choose: Chooser<'_>,
            audio: &AudioBuffer,
            output: &mut Option<AudioBuffer>,
        ) -> Result<ImplKind> {
            let channels = audio
                .channels()
                .iter()
                .map(|c| c.iter().map(|x| x * self.0).collect())
                .collect();
            *output = Some(AudioBuffer::new(channels, audio.sample_rate())?);
            Ok(choose(self.1))
        }
    }

    #[test]
    fn a_chain_runs_in_order_and_reports_both_steps() {
        let audio = AudioBuffer::new(vec![vec![0.25; 8]], 48_000).unwrap();
        let chain = Gain(2.0, "a").then(Gain(-1.0, "b"));
        let choose = |name: &'static str| match name {
            "a" => ImplKind::Vectorized,
            _ => ImplKind::Parallel,
        };
        let (out, (a, b)) = chain.process(&choose, &audio).unwrap();
        assert_eq!(out.channel(0), &[-0.5; 8]);
        assert_eq!((a, b), (ImplKind::Vectorized, ImplKind::Parallel));
        assert_eq!(chain.stage_name(), "b");
    }

    /// Fails on every call.
    struct Broken;

    impl AudioProcessor for Broken {
        type Report = ();
        fn stage_name(&self) -> &'static str {
            "broken"
        }
        fn process_into(
            &self,
            _: Chooser<'_>,
            _: &AudioBuffer,
            _: &mut Option<AudioBuffer>,
        ) -> Result<()> {
            Err(crate::Error::Other("broken".into()))
        }
    }

    #[test]
    fn a_failed_chain_leaves_its_output_empty() {
        let audio = AudioBuffer::new(vec![vec![0.25; 8]], 48_000).unwrap();
        let mut output = Some(audio.clone());
        let chain = Broken.then(Gain(2.0, "a"));
        assert!(chain
            .process_into(&|_| ImplKind::Reference, &audio, &mut output)
            .is_err());
        assert!(output.is_none());
    }
}
