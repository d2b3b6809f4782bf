//! Image families: the operating systems and products real catalogs are full of, with
//! their naming schemes, descriptions, billing codes and boot settings. Only what never
//! changes about an image is decided here; see `generate` for what revisions change.

use super::catalog::OwnerKind;
use super::dice::Dice;
use super::timestamp::{Civil, instant};

/// What an image is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Al2023,
    Amzn2,
    EcsOptimized,
    Windows,
    /// Paravirtual, instance-store or EBS, with kernel and ramdisk ids: 2013-era images.
    LegacyPv,
    Ubuntu,
    Rhel,
    Debian,
    /// A vendor product from the marketplace.
    Appliance,
    /// An account's own image, built on one of the operating systems above.
    Custom(Base),
}

/// The operating system under a custom image; it decides billing and devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    AmazonLinux,
    Ubuntu,
    Rhel,
    Windows,
    Suse,
}

impl Family {
    pub(crate) fn pick(kind: OwnerKind, dice: &mut Dice) -> Family {
        match kind {
            OwnerKind::Amazon => dice.weighted(&[
                (35, Family::Al2023),
                (20, Family::Amzn2),
                (12, Family::EcsOptimized),
                (30, Family::Windows),
                (3, Family::LegacyPv),
            ]),
            OwnerKind::Marketplace => dice.weighted(&[
                (35, Family::Ubuntu),
                (25, Family::Rhel),
                (20, Family::Debian),
                (20, Family::Appliance),
            ]),
            OwnerKind::Account => Family::Custom(dice.weighted(&[
                (50, Base::AmazonLinux),
                (25, Base::Ubuntu),
                (10, Base::Rhel),
                (10, Base::Windows),
                (5, Base::Suse),
            ])),
        }
    }

    /// The span of creation times that suits the family's naming.
    pub(crate) fn created_between(self) -> (i64, i64) {
        match self {
            Family::Al2023 => (instant::Y2023_03, instant::Y2025_06),
            Family::LegacyPv => (instant::Y2013_06, instant::Y2016_12),
            _ => (instant::Y2019, instant::Y2025_06),
        }
    }

    pub(crate) fn is_windows(self) -> bool {
        matches!(self, Family::Windows | Family::Custom(Base::Windows))
    }
}

/// Everything about an image's operating system and name that the renderer copies.
#[derive(Debug, Clone)]
pub(crate) struct Blueprint {
    pub name: String,
    pub description: String,
    pub architecture: &'static str,
    pub platform_details: &'static str,
    pub usage_operation: &'static str,
    pub root_device_name: &'static str,
    pub root_volume_gib: i32,
    pub boot_mode: Option<&'static str>,
    pub tpm_support: Option<&'static str>,
    pub imds_support: Option<&'static str>,
    pub free_tier_eligible: bool,
    /// Ubuntu-style images map instance-store volumes `ephemeral0`/`ephemeral1`.
    pub ephemeral_disks: u32,
    /// The public SSM parameter (under `/aws/service/`) that Amazon points at the newest
    /// image of this kind; whether this image is that one is the catalog's to say.
    pub ssm_parameter: Option<String>,
}

const COMPANIES: [&str; 10] = [
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
];
const LINUX_ROLES: [&str; 8] = [
    "web-base",
    "api-server",
    "batch-worker",
    "bastion",
    "ci-runner",
    "db-proxy",
    "k8s-node",
    "kafka-broker",
];
const WINDOWS_ROLES: [&str; 3] = ["windows-build", "iis-web", "ad-tools"];
/// Where Amazon publishes the parameters of its Amazon Linux images.
const AMAZON_LINUX_LATEST: &str = "/aws/service/ami-amazon-linux-latest";
/// Where Amazon publishes the parameters of its Windows images.
const WINDOWS_LATEST: &str = "/aws/service/ami-windows-latest";

impl Blueprint {
    /// Designs an image of `family` created at `created`; `index` keeps names of one
    /// owner apart. `owner_ordinal` picks the company name of custom images.
    pub(crate) fn design(
        family: Family,
        dice: &mut Dice,
        created: Civil,
        index: u32,
        owner_ordinal: u16,
    ) -> Blueprint {
        let arm = dice.chance(0.3);
        let (arch, deb_arch) = if arm {
            ("arm64", "arm64")
        } else {
            ("x86_64", "amd64")
        };
        let date = created.compact_date();
        let linux = Blueprint {
            name: String::new(),
            description: String::new(),
            architecture: arch,
            platform_details: "Linux/UNIX",
            usage_operation: "RunInstances",
            root_device_name: "/dev/xvda",
            root_volume_gib: 8,
            boot_mode: None,
            tpm_support: None,
            imds_support: None,
            free_tier_eligible: false,
            ephemeral_disks: 0,
            ssm_parameter: None,
        };
        match family {
            Family::Al2023 => {
                let minor = ((created.year - 2023) * 4 + i64::from(created.month) / 3).max(0);
                let version = format!("2023.{minor}.{date}.{}", index % 4);
                let kernel = *dice.pick(&["6.1", "6.1", "6.12"]);
                let minimal = if dice.chance(0.25) { "minimal-" } else { "" };
                // `kernel-default` follows the default kernel, 6.1 here.
                let track = if kernel == "6.1" { "default" } else { kernel };
                Blueprint {
                    name: format!("al2023-ami-{minimal}{version}-kernel-{kernel}-{arch}"),
                    description: format!(
                        "Amazon Linux 2023 AMI {version} {arch} HVM kernel-{kernel}"
                    ),
                    boot_mode: Some(if arm { "uefi" } else { "uefi-preferred" }),
                    imds_support: Some("v2.0"),
                    free_tier_eligible: !arm && minimal.is_empty(),
                    ssm_parameter: Some(format!(
                        "{AMAZON_LINUX_LATEST}/al2023-ami-{minimal}kernel-{track}-{arch}"
                    )),
                    ..linux
                }
            }
            Family::Amzn2 => {
                let version = format!("2.0.{date}.{}", index % 3);
                Blueprint {
                    name: format!("amzn2-ami-kernel-5.10-hvm-{version}-{arch}-gp2"),
                    description: format!("Amazon Linux 2 Kernel 5.10 AMI {version} {arch} HVM gp2"),
                    boot_mode: arm.then_some("uefi"),
                    free_tier_eligible: !arm,
                    ssm_parameter: Some(format!(
                        "{AMAZON_LINUX_LATEST}/amzn2-ami-kernel-5.10-hvm-{arch}-gp2"
                    )),
                    ..linux
                }
            }
            Family::EcsOptimized => Blueprint {
                name: format!("amzn2-ami-ecs-hvm-2.0.{date}-{arch}-ebs"),
                description: format!("Amazon Linux AMI 2.0.{date} {arch} ECS HVM GP2"),
                root_volume_gib: 30,
                boot_mode: arm.then_some("uefi"),
                ssm_parameter: Some(format!(
                    "/aws/service/ecs/optimized-ami/amazon-linux-2/{}recommended/image_id",
                    if arm { "arm64/" } else { "" }
                )),
                ..linux
            },
            Family::Windows => {
                let year = *dice.pick(&["2016", "2019", "2022", "2022", "2025"]);
                let language = *dice.pick(&[
                    "English",
                    "English",
                    "English",
                    "Japanese",
                    "German",
                    "French",
                    "Korean",
                    "Portuguese_Brazil",
                ]);
                let edition = *dice.pick(&[
                    "Full-Base",
                    "Core-Base",
                    "Full-SQL_2022_Standard",
                    "Full-ECS_Optimized",
                    "Full-ContainersLatest",
                ]);
                let locale = if edition.starts_with("Core") {
                    "Core"
                } else {
                    "Full"
                };
                let sql = edition.contains("SQL");
                // Every English edition has a parameter, other languages the base one.
                let listed = language == "English" || edition == "Full-Base";
                let parameter =
                    format!("{WINDOWS_LATEST}/Windows_Server-{year}-{language}-{edition}");
                Blueprint {
                    name: format!(
                        "Windows_Server-{year}-{language}-{edition}-{}",
                        created.dotted_date()
                    ),
                    description: format!(
                        "Microsoft Windows Server {year} {locale} Locale {language} AMI provided by Amazon"
                    ),
                    architecture: "x86_64",
                    platform_details: if sql {
                        "Windows with SQL Server Standard"
                    } else {
                        "Windows"
                    },
                    usage_operation: if sql {
                        "RunInstances:0006"
                    } else {
                        "RunInstances:0002"
                    },
                    root_device_name: "/dev/sda1",
                    root_volume_gib: if sql { 50 } else { 30 },
                    boot_mode: (year == "2025").then_some("uefi"),
                    tpm_support: (year == "2025").then_some("v2.0"),
                    imds_support: (year == "2025").then_some("v2.0"),
                    free_tier_eligible: year == "2022" && !sql,
                    ssm_parameter: listed.then_some(parameter),
                    ..linux
                }
            }
            Family::LegacyPv => {
                let arch = if dice.chance(0.4) { "i386" } else { "x86_64" };
                let store = if dice.chance(0.5) { "s3" } else { "ebs" };
                Blueprint {
                    name: format!("amzn-ami-pv-2013.09.{}.{arch}-{store}", index % 5),
                    description: format!("Amazon Linux AMI {arch} PV {}", store.to_uppercase()),
                    architecture: arch,
                    root_device_name: "/dev/sda1",
                    ..linux
                }
            }
            Family::Ubuntu => {
                let (codename, version) =
                    *dice.pick(&[("focal", "20.04"), ("jammy", "22.04"), ("noble", "24.04")]);
                let disk = if codename == "noble" {
                    "hvm-ssd-gp3"
                } else {
                    "hvm-ssd"
                };
                let pro = dice.chance(0.3);
                let (prefix, server) = if pro {
                    ("ubuntu-pro-server", "pro-server")
                } else {
                    ("ubuntu", "server")
                };
                Blueprint {
                    name: format!(
                        "{prefix}/images/{disk}/ubuntu-{codename}-{version}-{deb_arch}-{server}-{date}{}",
                        if index % 2 == 1 {
                            format!(".{}", index % 10)
                        } else {
                            String::new()
                        }
                    ),
                    description: format!(
                        "Canonical, Ubuntu, {version}, {deb_arch} {codename} image"
                    ),
                    root_device_name: "/dev/sda1",
                    boot_mode: (codename == "noble").then_some("uefi-preferred"),
                    usage_operation: if pro {
                        "RunInstances:0g00"
                    } else {
                        "RunInstances"
                    },
                    ephemeral_disks: dice.below(3) as u32,
                    ..linux
                }
            }
            Family::Rhel => {
                let version = *dice.pick(&["8.8.0", "8.10.0", "9.2.0", "9.4.0", "9.5.0"]);
                Blueprint {
                    name: format!(
                        "RHEL-{version}_HVM-{date}-{arch}-{}-Hourly2-GP3",
                        index % 90 + 10
                    ),
                    description: format!("Provided by Red Hat, Inc. RHEL {version} {arch}"),
                    platform_details: "Red Hat Enterprise Linux",
                    usage_operation: "RunInstances:0010",
                    root_device_name: "/dev/sda1",
                    root_volume_gib: 10,
                    ..linux
                }
            }
            Family::Debian => {
                let version = *dice.pick(&["11", "12", "12"]);
                let build = 1000 + index % 1000;
                Blueprint {
                    name: format!("debian-{version}-{deb_arch}-{date}-{build}"),
                    description: format!("Debian {version} ({date}-{build})"),
                    ..linux
                }
            }
            Family::Appliance => {
                let (vendor, product) = *dice.pick(&[
                    ("fortinet", "FortiGate-VM"),
                    ("paloaltonetworks", "PA-VM-AWS"),
                    ("nginx", "nginx-plus-ubuntu"),
                    ("f5", "BIGIP-17.1.1"),
                    ("bitnami", "wordpress"),
                    ("checkpoint", "CloudGuard-NGFW"),
                ]);
                let version = format!("{}.{}.{}", 7 + index % 4, index % 10, index % 7);
                Blueprint {
                    name: format!("{product}-{version}-{date}-{index:06}"),
                    description: format!(
                        "{vendor} {product} {version} (build {date}) - BYOL & PAYG"
                    ),
                    root_volume_gib: *dice.pick(&[8, 20, 40, 60]),
                    ..linux
                }
            }
            Family::Custom(base) => {
                let company = COMPANIES[owner_ordinal as usize % COMPANIES.len()];
                let windows = base == Base::Windows;
                let role = if windows {
                    *dice.pick(&WINDOWS_ROLES)
                } else {
                    *dice.pick(&LINUX_ROLES)
                };
                let (platform_details, usage_operation, root) = match base {
                    Base::AmazonLinux => ("Linux/UNIX", "RunInstances", "/dev/xvda"),
                    Base::Ubuntu => ("Linux/UNIX", "RunInstances", "/dev/sda1"),
                    Base::Rhel => ("Red Hat Enterprise Linux", "RunInstances:0010", "/dev/sda1"),
                    Base::Windows => ("Windows", "RunInstances:0002", "/dev/sda1"),
                    Base::Suse => ("SUSE Linux", "RunInstances:000g", "/dev/xvda"),
                };
                Blueprint {
                    name: format!("{company}-{role}-{}-{}", created.dotted_date(), index + 1),
                    description: String::new(),
                    architecture: if windows { "x86_64" } else { arch },
                    platform_details,
                    usage_operation,
                    root_device_name: root,
                    root_volume_gib: if windows {
                        50
                    } else {
                        *dice.pick(&[8, 16, 20, 32, 100])
                    },
                    boot_mode: match base {
                        Base::AmazonLinux => Some("uefi-preferred"),
                        _ if arm => Some("uefi"),
                        _ => None,
                    },
                    imds_support: (base == Base::AmazonLinux).then_some("v2.0"),
                    tpm_support: (windows && dice.chance(0.3)).then_some("v2.0"),
                    ..linux
                }
            }
        }
    }
}
