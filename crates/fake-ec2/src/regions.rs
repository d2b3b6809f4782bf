//! DescribeRegions: the regions enabled for the caller's account, and with
//! `AllRegions=true` also the opt-in regions it has not opted in to, so a sync can plan
//! and report what it skips.

use std::fmt::Write;

use super::caller::Caller;
use super::catalog::World;
use super::request::Params;
use super::xml::{DECLARATION, EC2_NAMESPACE, element};

pub(crate) fn describe_regions(
    world: &World,
    caller: &Caller,
    params: &Params,
    request_id: &str,
) -> String {
    let all = params
        .get("AllRegions")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let names = params.list("RegionName");
    let mut out = String::with_capacity(256 + world.regions.len() * 160);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<DescribeRegionsResponse xmlns="{EC2_NAMESPACE}">"#);
    element(&mut out, "requestId", request_id);
    out.push_str("<regionInfo>");
    for region in &world.regions {
        let enabled = region.enabled_for(caller);
        if !(enabled || all) || !(names.is_empty() || names.contains(&region.name)) {
            continue;
        }
        out.push_str("<item>");
        element(&mut out, "regionName", &region.name);
        element(
            &mut out,
            "regionEndpoint",
            &format!("ec2.{}.amazonaws.com", region.name),
        );
        let status = match (&region.opted_in, enabled) {
            (None, _) => "opt-in-not-required",
            (Some(_), true) => "opted-in",
            (Some(_), false) => "not-opted-in",
        };
        element(&mut out, "optInStatus", status);
        out.push_str("</item>");
    }
    out.push_str("</regionInfo></DescribeRegionsResponse>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FakeConfig;

    #[test]
    fn lists_opt_in_regions_only_when_asked() {
        let world = World::new(&FakeConfig::demo());
        let mut params = Params::default();
        let caller = Caller::new(&world, "111111111111");
        let enabled = describe_regions(&world, &caller, &params, "r");
        assert!(enabled.contains("<regionName>ap-southeast-2</regionName>"));
        assert!(!enabled.contains("me-central-1"));
        params.extend_from_form(b"AllRegions=true");
        let all = describe_regions(&world, &caller, &params, "r");
        assert!(all.contains(
            "<regionName>me-central-1</regionName><regionEndpoint>ec2.me-central-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus>"
        ));
    }

    /// An opt-in region is enabled for the accounts that opted in to it alone: listed and
    /// served to them, with their images and the public catalogs; the others see it
    /// `not-opted-in`, own nothing there and are refused.
    #[test]
    fn an_opt_in_region_is_enabled_only_for_the_accounts_that_opted_in() {
        let mut config = FakeConfig::demo();
        let (a, b) = ("111111111111", "222222222222");
        let opt_in = config.regions.iter_mut().find(|r| !r.enabled).unwrap();
        opt_in.opted_in = vec![b.to_string()];
        let name = opt_in.name.clone();
        let world = World::new(&config);
        let (a, b) = (Caller::new(&world, a), Caller::new(&world, b));
        let mut params = Params::default();
        let listed =
            |caller: &Caller, params: &Params| describe_regions(&world, caller, params, "r");
        assert!(!listed(&a, &params).contains(&name));
        assert!(listed(&b, &params).contains(&format!(
            "<regionName>{name}</regionName><regionEndpoint>ec2.{name}.amazonaws.com</regionEndpoint><optInStatus>opted-in</optInStatus>"
        )));
        params.extend_from_form(b"AllRegions=true");
        assert!(listed(&a, &params).contains(&format!(
            "<regionName>{name}</regionName><regionEndpoint>ec2.{name}.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus>"
        )));
        assert!(listed(&a, &params).contains("<optInStatus>opt-in-not-required</optInStatus>"));

        assert_eq!(world.region_for(&name, &a).unwrap_err().code, "AuthFailure");
        let region = world.region_for(&name, &b).unwrap();
        let owned = |caller: &Caller| {
            region.catalogs[usize::from(caller.ordinal.unwrap())]
                .entries
                .len()
        };
        assert_eq!(owned(&a), 0);
        assert_eq!(owned(&b), config.owned_per_account_region);
        let amazon = world.owner_by_id(crate::config::AMAZON_OWNER_ID).unwrap();
        assert_eq!(
            region.catalogs[usize::from(amazon.ordinal)].entries.len(),
            config.amazon_per_region
        );
    }
}
