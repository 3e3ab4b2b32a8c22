//! What the kernel's KVM says about this machine: the answers of the `/dev/kvm` system
//! ioctls that libvirt and QEMU read, as a plain value, and the live reading of them.
//!
//! The split is strict: [`KvmAnswers`] is data (recorded in files, built in tests), and
//! [`KvmAnswers::read`] is the only code that talks to the kernel, through rust-vmm's
//! `kvm-ioctls` (no `unsafe` here). Everything computed from the answers (the host CPU's
//! MSR features, QEMU's view of the host, the KVM host-model) is pure and lives elsewhere
//! (`host_record`, `qemu_host`).
//!
//! | answer | ioctl (system fd) | who uses it |
//! |---|---|---|
//! | supported CPUID rows | `KVM_GET_SUPPORTED_CPUID` | QEMU: every CPUID feature word |
//! | feature-MSR indices | `KVM_GET_MSR_FEATURE_INDEX_LIST` | QEMU: which MSR words exist; libvirt: which MSRs carry features |
//! | feature-MSR values | `KVM_GET_MSRS`, one entry per listed index | QEMU's MSR words; libvirt's MSR features when `/dev/cpu/0/msr` is not readable |
//! | MSR indices | `KVM_GET_MSR_INDEX_LIST` | QEMU: only whether `0x10a` and `0x48b` are listed |
//! | TSC deadline timer | `KVM_CHECK_EXTENSION(KVM_CAP_TSC_DEADLINE_TIMER)` | QEMU's `tsc-deadline` fix-up |
//! | system attributes | `KVM_CHECK_EXTENSION(KVM_CAP_SYS_ATTRIBUTES)` | whether QEMU asks for the XSAVE guest components |
//! | XSAVE guest components | `KVM_GET_DEVICE_ATTR` `KVM_X86_XCOMP_GUEST_SUPP` | QEMU's leaf 0xd.0 `eax`/`edx` |
//! | MCE capabilities | `KVM_X86_GET_MCE_CAP_SUPPORTED` | QEMU's `lmce` (not a libvirt feature) |
//!
//! The last two have no safe wrapper in `kvm-ioctls`, so the live reading leaves them
//! `None` (a recorded file may carry them). Without them the results are the same for
//! QEMU 7.2 and libvirt 11.3: `KVM_GET_SUPPORTED_CPUID`'s leaf 0xd.0 differs from the
//! guest components only in the components a process must request with `arch_prctl`
//! (AMX tile data), which no QEMU 7.2 model enables and no property names; `lmce` is no
//! cpu_map feature.
//!
//! A kernel answers `KVM_GET_MSRS` for an index that is not a feature MSR with "0 entries
//! processed" rather than an error; such an index simply has no value here.

/// One row of `KVM_GET_SUPPORTED_CPUID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvmCpuidEntry {
    /// The leaf (`eax` input).
    pub function: u32,
    /// The sub-leaf (`ecx` input).
    pub index: u32,
    /// KVM's flags (bit 0: the sub-leaf is significant).
    pub flags: u32,
    /// `eax, ebx, ecx, edx`.
    pub regs: [u32; 4],
}

/// The answers of `/dev/kvm` (a plain record: any combination of values is accepted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvmAnswers {
    /// `KVM_GET_SUPPORTED_CPUID`, in the kernel's order.
    pub supported_cpuid: Vec<KvmCpuidEntry>,
    /// `KVM_GET_MSR_FEATURE_INDEX_LIST`, in the kernel's order (empty without
    /// `KVM_CAP_GET_MSR_FEATURES`).
    pub feature_msr_indices: Vec<u32>,
    /// `KVM_GET_MSRS` on the system fd for each listed feature MSR that answered.
    pub feature_msrs: Vec<(u32, u64)>,
    /// `KVM_GET_MSR_INDEX_LIST`.
    pub msr_indices: Vec<u32>,
    /// `KVM_CAP_TSC_DEADLINE_TIMER`.
    pub tsc_deadline_timer: bool,
    /// `KVM_CAP_SYS_ATTRIBUTES`.
    pub sys_attributes: bool,
    /// `KVM_X86_XCOMP_GUEST_SUPP`, when it was read.
    pub xcomp_guest_supp: Option<u64>,
    /// `KVM_X86_GET_MCE_CAP_SUPPORTED`, when it was read.
    pub mce_cap_supported: Option<u64>,
}

impl KvmAnswers {
    /// The supported CPUID row `(function, index)`, if KVM listed it.
    pub fn cpuid(&self, function: u32, index: u32) -> Option<[u32; 4]> {
        self.supported_cpuid
            .iter()
            .find(|e| e.function == function && e.index == index)
            .map(|e| e.regs)
    }

    /// The value of a feature MSR: `None` unless KVM lists the index and answered it.
    pub fn feature_msr(&self, index: u32) -> Option<u64> {
        if !self.feature_msr_indices.contains(&index) {
            return None;
        }
        self.feature_msrs
            .iter()
            .find(|(i, _)| *i == index)
            .map(|&(_, v)| v)
    }

    /// Reads the answers from `/dev/kvm`.
    ///
    /// # Errors
    /// [`KvmError::Open`] when `/dev/kvm` cannot be opened (absent, no permission);
    /// [`KvmError::Ioctl`] when `KVM_GET_SUPPORTED_CPUID`,
    /// `KVM_GET_MSR_FEATURE_INDEX_LIST`, `KVM_GET_MSRS` or `KVM_GET_MSR_INDEX_LIST` fails
    /// (an MSR the kernel does not process is no error).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub fn read() -> Result<KvmAnswers, KvmError> {
        live::read("/dev/kvm")
    }

    /// Reads the answers from `/dev/kvm` (only x86_64 Linux has it).
    ///
    /// # Errors
    /// Always [`KvmError::NotX86Linux`]: other systems have no `/dev/kvm` to read.
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    pub fn read() -> Result<KvmAnswers, KvmError> {
        Err(KvmError::NotX86Linux)
    }
}

/// Why `/dev/kvm` could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KvmError {
    /// The device could not be opened (absent, or no permission).
    #[error("cannot open {path}: {reason}")]
    Open {
        /// The device.
        path: String,
        /// The system's reason, lowercase.
        reason: String,
    },
    /// An ioctl failed.
    #[error("{call} failed: {reason}")]
    Ioctl {
        /// The ioctl's name.
        call: &'static str,
        /// The system's reason, lowercase.
        reason: String,
    },
    /// Not an x86_64 Linux machine.
    #[error("kvm answers are read on x86_64 linux only")]
    NotX86Linux,
}

/// An OS error as lowercase text without its number: "permission denied".
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text
        .find(" (os error")
        .map_or(text.as_str(), |i| &text[..i]);
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod live {
    use super::{os_reason, KvmAnswers, KvmCpuidEntry, KvmError};
    use kvm_bindings::{kvm_msr_entry, Msrs, KVM_MAX_CPUID_ENTRIES};
    use kvm_ioctls::{Cap, Kvm};

    fn ioctl(call: &'static str) -> impl Fn(kvm_ioctls::Error) -> KvmError {
        move |e| KvmError::Ioctl {
            call,
            reason: os_reason(&std::io::Error::from_raw_os_error(e.errno())),
        }
    }

    pub(super) fn read(path: &str) -> Result<KvmAnswers, KvmError> {
        let open_error = |reason: String| KvmError::Open {
            path: path.to_string(),
            reason,
        };
        let c_path = std::ffi::CString::new(path)
            .map_err(|_| open_error("the path holds a nul byte".into()))?;
        let kvm = Kvm::new_with_path(c_path.as_c_str())
            .map_err(|e| open_error(os_reason(&std::io::Error::from_raw_os_error(e.errno()))))?;
        let cpuid = kvm
            .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
            .map_err(ioctl("KVM_GET_SUPPORTED_CPUID"))?;
        let supported_cpuid = cpuid
            .as_slice()
            .iter()
            .map(|e| KvmCpuidEntry {
                function: e.function,
                index: e.index,
                flags: e.flags,
                regs: [e.eax, e.ebx, e.ecx, e.edx],
            })
            .collect();
        let feature_msr_indices = if kvm.check_extension(Cap::GetMsrFeatures) {
            kvm.get_msr_feature_index_list()
                .map_err(ioctl("KVM_GET_MSR_FEATURE_INDEX_LIST"))?
                .as_slice()
                .to_vec()
        } else {
            Vec::new()
        };
        let mut feature_msrs = Vec::new();
        for &index in &feature_msr_indices {
            if let Some(v) = msr(&kvm, index)? {
                feature_msrs.push((index, v));
            }
        }
        let msr_indices = kvm
            .get_msr_index_list()
            .map_err(ioctl("KVM_GET_MSR_INDEX_LIST"))?
            .as_slice()
            .to_vec();
        Ok(KvmAnswers {
            supported_cpuid,
            feature_msr_indices,
            feature_msrs,
            msr_indices,
            tsc_deadline_timer: kvm.check_extension(Cap::TscDeadlineTimer),
            sys_attributes: kvm.check_extension_raw(std::os::raw::c_ulong::from(
                kvm_bindings::KVM_CAP_SYS_ATTRIBUTES,
            )) > 0,
            xcomp_guest_supp: None,
            mce_cap_supported: None,
        })
    }

    /// `KVM_GET_MSRS` with one entry: `None` when the kernel processed no entry.
    fn msr(kvm: &Kvm, index: u32) -> Result<Option<u64>, KvmError> {
        let mut msrs = Msrs::from_entries(&[kvm_msr_entry {
            index,
            ..Default::default()
        }])
        .map_err(|_| KvmError::Ioctl {
            call: "KVM_GET_MSRS",
            reason: "cannot allocate the entry list".into(),
        })?;
        let n = kvm.get_msrs(&mut msrs).map_err(ioctl("KVM_GET_MSRS"))?;
        Ok((n == 1).then(|| msrs.as_slice()[0].data))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn a_missing_device_is_an_open_error() {
            let e = super::read("/nonexistent/kvm").unwrap_err();
            assert_eq!(
                e.to_string(),
                "cannot open /nonexistent/kvm: no such file or directory"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_msr_needs_the_index_list_and_an_answer() {
        let k = KvmAnswers {
            feature_msr_indices: vec![0x10a, 0x345],
            feature_msrs: vec![(0x10a, 0xc00e16d), (0xcf, 1)],
            ..Default::default()
        };
        assert_eq!(k.feature_msr(0x10a), Some(0xc00e16d));
        // Listed but not answered, answered but not listed.
        assert_eq!(k.feature_msr(0x345), None);
        assert_eq!(k.feature_msr(0xcf), None);
    }

    #[test]
    fn os_reasons_are_lowercase_without_the_number() {
        let e = std::io::Error::from_raw_os_error(13);
        assert_eq!(os_reason(&e), "permission denied");
    }
}
