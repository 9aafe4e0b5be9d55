//! The kube adapter's objects: the first byte picks one of the seven
//! `image.openshift.io/v1` types, the rest is JSON. Never a panic; an
//! `Object<T>` reads exactly what the `api` type reads; what it reads it
//! writes as the `api` type does (`apiVersion` and `kind` filled in where
//! absent), metadata included: k8s-openapi's metadata and the residue lose
//! nothing; and its own output reads back equal.
//!
//! The `unwrap_or_else(panic!)` calls below are the laws the target checks
//! (our own output reads back), each with the input in its message; no
//! value the input can make invalid is unwrapped.
#![no_main]

use imagestream::api;
use imagestream_kube::{ApiObject, Object};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    match which % 7 {
        0 => check::<api::ImageStream>(json),
        1 => check::<api::ImageStreamTag>(json),
        2 => check::<api::ImageStreamImage>(json),
        3 => check::<api::ImageStreamMapping>(json),
        4 => check::<api::ImageStreamImport>(json),
        5 => check::<api::ImageTag>(json),
        _ => check::<api::Image>(json),
    }
});

fn check<T: ApiObject + PartialEq>(json: &[u8]) {
    let ours = serde_json::from_slice::<T>(json);
    let object = serde_json::from_slice::<Object<T>>(json);
    let (ours, object) = match (ours, object) {
        (Ok(ours), Ok(object)) => (ours, object),
        (Err(_), Err(_)) => return,
        (ours, object) => panic!(
            "law: Object<{}> reads what the api type reads: api {:?}, object {:?}",
            T::KIND,
            ours.err(),
            object.err()
        ),
    };
    // Written as the api type writes itself, the type filled in.
    let mut want = serde_json::to_value(&ours)
        .unwrap_or_else(|e| panic!("law: a read api object writes: {e}: {ours:?}"));
    if let Some(map) = want.as_object_mut() {
        map.entry("apiVersion")
            .or_insert_with(|| api::API_VERSION.into());
        map.entry("kind").or_insert_with(|| T::KIND.into());
    }
    let text = serde_json::to_vec(&object)
        .unwrap_or_else(|e| panic!("law: a read object writes: {e}: {object:?}"));
    let got: serde_json::Value = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "law: our output {:?} is JSON: {e}",
            String::from_utf8_lossy(&text)
        )
    });
    assert_eq!(got, want, "an Object<{}> writes what it read", T::KIND);
    // Its output reads back the same object, and the same api object.
    let again: Object<T> = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "law: our output {:?} reads: {e}",
            String::from_utf8_lossy(&text)
        )
    });
    assert_eq!(again.to_inner(), object.to_inner());
    assert_eq!(again, object);
}
