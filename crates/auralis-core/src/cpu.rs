//! What the CPU offers, as detected at run time: recorded in lab reports, and in batch
//! records (a master made at another SIMD level agrees only within tolerance, not bit for bit).

/// The widest SIMD level this CPU supports, as detected at run time.
pub fn simd_level() -> &'static str {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            "avx512f"
        } else if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            "avx2+fma"
        } else if std::arch::is_x86_feature_detected!("sse4.2") {
            "sse4.2"
        } else {
            "scalar"
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        "neon"
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "scalar"
    }
}
