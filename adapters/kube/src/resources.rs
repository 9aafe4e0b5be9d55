//! The `image.openshift.io/v1` types as [`kube::Resource`]s.

use std::borrow::Cow;
use std::ops::Deref;

use imagestream::api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta as K8sMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::meta::{self, Residue};

/// The API group of the image API.
pub const GROUP: &str = "image.openshift.io";
/// The API version of the image API.
pub const VERSION: &str = "v1";

/// One of `imagestream`'s `api` objects, as [`Object`] carries it: its
/// kind, plural and scope as OpenShift serves them, and its metadata.
///
/// Implemented for the seven `image.openshift.io/v1` types; sealed.
pub trait ApiObject:
    Clone + Default + std::fmt::Debug + Serialize + DeserializeOwned + sealed::Sealed
{
    /// The kind, e.g. `ImageStream`.
    const KIND: &'static str;
    /// The resource (plural) name in URLs, e.g. `imagestreams`.
    const PLURAL: &'static str;
    /// [`NamespaceResourceScope`] or [`ClusterResourceScope`] (images).
    type Scope;
    /// The object's metadata, to change.
    #[doc(hidden)]
    fn metadata_mut(&mut self) -> &mut api::ObjectMeta;
    /// `apiVersion` and `kind`, to fill in.
    #[doc(hidden)]
    fn type_meta_mut(&mut self) -> (&mut String, &mut String);
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! api_object {
    ($($ty:ident: $plural:literal, $scope:ty;)*) => {$(
        impl sealed::Sealed for api::$ty {}
        impl ApiObject for api::$ty {
            const KIND: &'static str = stringify!($ty);
            const PLURAL: &'static str = $plural;
            type Scope = $scope;
            fn metadata_mut(&mut self) -> &mut api::ObjectMeta {
                &mut self.metadata
            }
            fn type_meta_mut(&mut self) -> (&mut String, &mut String) {
                (&mut self.api_version, &mut self.kind)
            }
        }
    )*};
}

// Plurals and scopes as `oc api-resources --api-group=image.openshift.io`
// lists them (OpenShift 4): everything namespaced but images.
api_object! {
    ImageStream: "imagestreams", NamespaceResourceScope;
    ImageStreamTag: "imagestreamtags", NamespaceResourceScope;
    ImageStreamImage: "imagestreamimages", NamespaceResourceScope;
    ImageStreamMapping: "imagestreammappings", NamespaceResourceScope;
    ImageStreamImport: "imagestreamimports", NamespaceResourceScope;
    ImageTag: "imagetags", NamespaceResourceScope;
    Image: "images", ClusterResourceScope;
}

/// An `api` object with k8s-openapi's metadata: a [`kube::Resource`], so
/// [`kube::Api`] reads and writes it.
///
/// `metadata` is k8s-openapi's; everything else is the `api` object, which
/// [`Deref`] reaches for reading (`stream.spec`, `stream.status`) and
/// [`inner_mut`](Self::inner_mut) for changing. The `api` object's own
/// `metadata` keeps only what k8s-openapi's cannot hold (unknown fields,
/// see [`meta`](crate::meta)), so decoding and encoding loses nothing; for
/// the whole `api` object, metadata included, use
/// [`to_inner`](Self::to_inner) or [`into_inner`](Self::into_inner) (a
/// `&Object<T>` coerced to `&T` shows that partial metadata). The JSON is
/// the `api` object's, with `apiVersion` and `kind` filled in when a
/// server left them out (as in a list's items).
///
/// ```
/// use imagestream::api;
/// use imagestream_kube::ImageStream;
///
/// let json = r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream",
///   "metadata":{"name":"python","namespace":"ci","resourceVersion":"7","future":1},
///   "spec":{"tags":[{"name":"3.9","from":{"kind":"DockerImage","name":"python:3.9"}}]}}"#;
/// let is: ImageStream = serde_json::from_str(json)?;
/// assert_eq!(is.metadata.name.as_deref(), Some("python"));
/// assert_eq!(is.spec.tags[0].name, "3.9");
/// let back: api::ImageStream = is.clone().into();
/// assert!(back.metadata.extra.contains_key("future")); // kept
/// assert_eq!(back.metadata.resource_version, "7");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<T> {
    /// The metadata.
    pub metadata: K8sMeta,
    inner: T,
    residue: Residue,
}

/// `image.openshift.io/v1` `ImageStream`, namespaced.
pub type ImageStream = Object<api::ImageStream>;
/// `image.openshift.io/v1` `ImageStreamTag`, namespaced.
pub type ImageStreamTag = Object<api::ImageStreamTag>;
/// `image.openshift.io/v1` `ImageStreamImage`, namespaced.
pub type ImageStreamImage = Object<api::ImageStreamImage>;
/// `image.openshift.io/v1` `ImageStreamMapping`, namespaced (create only).
///
/// OpenShift answers a create with a `Status`, not the mapping: use
/// [`create_mapping`](crate::create_mapping), which reads it as one
/// (`kube::Api::create` would decode it as an empty mapping).
pub type ImageStreamMapping = Object<api::ImageStreamMapping>;
/// `image.openshift.io/v1` `ImageStreamImport`, namespaced (create only).
pub type ImageStreamImport = Object<api::ImageStreamImport>;
/// `image.openshift.io/v1` `ImageTag`, namespaced.
pub type ImageTag = Object<api::ImageTag>;
/// `image.openshift.io/v1` `Image`, cluster-scoped.
pub type Image = Object<api::Image>;

impl<T: ApiObject> Object<T> {
    /// Wraps `object`, its metadata converted; `apiVersion` and `kind`
    /// are filled in when empty.
    #[must_use]
    pub fn new(mut object: T) -> Self {
        let (api_version, kind) = object.type_meta_mut();
        if api_version.is_empty() {
            api::API_VERSION.clone_into(api_version);
        }
        if kind.is_empty() {
            T::KIND.clone_into(kind);
        }
        let ours = std::mem::take(object.metadata_mut());
        Self {
            metadata: meta::to_k8s(&ours),
            residue: Residue::of(&ours),
            inner: object,
        }
    }

    /// The `api` object, metadata included (the inverse of [`new`](Self::new)).
    #[must_use]
    pub fn into_inner(mut self) -> T {
        *self.inner.metadata_mut() = self.residue.merge(meta::from_k8s(&self.metadata));
        self.inner
    }

    /// A copy of the `api` object, metadata included.
    #[must_use]
    pub fn to_inner(&self) -> T {
        self.clone().into_inner()
    }

    /// The `api` object to change, but for its metadata: change that in
    /// [`metadata`](Self::metadata). (Its own `metadata` holds only what
    /// k8s-openapi's cannot; edits there to fields k8s-openapi has are not
    /// written. There is no `DerefMut`, so that such an edit is never made
    /// by a coercion unawares.)
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T> Deref for Object<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ApiObject> From<T> for Object<T> {
    fn from(object: T) -> Self {
        Self::new(object)
    }
}

macro_rules! into_api {
    ($($ty:ident),*) => {$(
        impl From<Object<api::$ty>> for api::$ty {
            fn from(object: Object<api::$ty>) -> Self {
                object.into_inner()
            }
        }
    )*};
}

into_api!(
    ImageStream,
    ImageStreamTag,
    ImageStreamImage,
    ImageStreamMapping,
    ImageStreamImport,
    ImageTag,
    Image
);

impl<T: ApiObject> Serialize for Object<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The JSON is the api object's (its field order and Go's omission
        // rules) with the metadata put back in place of its own: no copy
        // of the object, only of the metadata.
        if self.residue.is_empty() {
            // The usual case: k8s-openapi's metadata written in our
            // format directly.
            let metadata = meta::View(&self.metadata);
            self.inner.serialize(swap::SwapMetadata {
                inner: serializer,
                metadata: &metadata,
            })
        } else {
            let metadata = self.residue.merge(meta::from_k8s(&self.metadata));
            self.inner.serialize(swap::SwapMetadata {
                inner: serializer,
                metadata: &metadata,
            })
        }
    }
}

/// A serializer that passes a struct through, but for its `metadata`
/// field, which it writes from elsewhere.
mod swap {
    use serde::ser::{Impossible, Serialize, SerializeStruct, Serializer};

    pub(super) struct SwapMetadata<'a, S, M> {
        pub(super) inner: S,
        pub(super) metadata: &'a M,
    }

    pub(super) struct Fields<'a, S, M> {
        inner: S,
        metadata: &'a M,
    }

    /// The error for anything but a struct at the top (never happens for
    /// the `api` types, whose derived `Serialize` writes a struct).
    fn not_a_struct<E: serde::ser::Error>() -> E {
        E::custom("an api object serializes as a struct")
    }

    macro_rules! not_a_struct {
        ($($method:ident($($arg:ty),*);)*) => {$(
            fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
                Err(not_a_struct())
            }
        )*};
    }

    impl<'a, S: Serializer, M: Serialize> Serializer for SwapMetadata<'a, S, M> {
        type Ok = S::Ok;
        type Error = S::Error;
        type SerializeSeq = Impossible<S::Ok, S::Error>;
        type SerializeTuple = Impossible<S::Ok, S::Error>;
        type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
        type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
        type SerializeMap = Impossible<S::Ok, S::Error>;
        type SerializeStruct = Fields<'a, S::SerializeStruct, M>;
        type SerializeStructVariant = Impossible<S::Ok, S::Error>;

        fn serialize_struct(
            self,
            name: &'static str,
            len: usize,
        ) -> Result<Self::SerializeStruct, S::Error> {
            Ok(Fields {
                inner: self.inner.serialize_struct(name, len)?,
                metadata: self.metadata,
            })
        }

        fn is_human_readable(&self) -> bool {
            self.inner.is_human_readable()
        }

        not_a_struct! {
            serialize_bool(bool);
            serialize_i8(i8);
            serialize_i16(i16);
            serialize_i32(i32);
            serialize_i64(i64);
            serialize_u8(u8);
            serialize_u16(u16);
            serialize_u32(u32);
            serialize_u64(u64);
            serialize_f32(f32);
            serialize_f64(f64);
            serialize_char(char);
            serialize_str(&str);
            serialize_bytes(&[u8]);
            serialize_none();
            serialize_unit();
            serialize_unit_struct(&'static str);
            serialize_unit_variant(&'static str, u32, &'static str);
        }

        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
            Err(not_a_struct())
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, S::Error> {
            Err(not_a_struct())
        }
    }

    impl<S: SerializeStruct, M: Serialize> SerializeStruct for Fields<'_, S, M> {
        type Ok = S::Ok;
        type Error = S::Error;

        fn serialize_field<T: ?Sized + Serialize>(
            &mut self,
            key: &'static str,
            value: &T,
        ) -> Result<(), S::Error> {
            if key == "metadata" {
                self.inner.serialize_field(key, self.metadata)
            } else {
                self.inner.serialize_field(key, value)
            }
        }

        fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
            self.inner.skip_field(key)
        }

        fn end(self) -> Result<S::Ok, S::Error> {
            self.inner.end()
        }
    }
}

impl<'de, T: ApiObject> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self::new)
    }
}

impl<T: ApiObject> kube::Resource for Object<T> {
    type DynamicType = ();
    type Scope = T::Scope;

    fn kind((): &()) -> Cow<'_, str> {
        Cow::Borrowed(T::KIND)
    }
    fn group((): &()) -> Cow<'_, str> {
        Cow::Borrowed(GROUP)
    }
    fn version((): &()) -> Cow<'_, str> {
        Cow::Borrowed(VERSION)
    }
    fn api_version((): &()) -> Cow<'_, str> {
        Cow::Borrowed(api::API_VERSION)
    }
    fn plural((): &()) -> Cow<'_, str> {
        Cow::Borrowed(T::PLURAL)
    }
    fn meta(&self) -> &K8sMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut K8sMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use kube::Resource;

    use super::*;

    #[test]
    fn urls_are_openshifts() {
        assert_eq!(
            ImageStream::url_path(&(), Some("ci")),
            "/apis/image.openshift.io/v1/namespaces/ci/imagestreams"
        );
        assert_eq!(
            ImageStreamTag::url_path(&(), Some("ci")),
            "/apis/image.openshift.io/v1/namespaces/ci/imagestreamtags"
        );
        assert_eq!(
            Image::url_path(&(), None),
            "/apis/image.openshift.io/v1/images"
        );
        assert_eq!(ImageTag::kind(&()), "ImageTag");
        assert_eq!(ImageStreamImport::api_version(&()), "image.openshift.io/v1");
    }

    #[test]
    fn new_fills_in_the_type_and_into_inner_gives_the_object_back() {
        let mut is = api::ImageStream::default();
        is.metadata.name = "app".into();
        is.metadata.generation = 4;
        let wrapped = ImageStream::new(is.clone());
        assert_eq!(wrapped.kind, "ImageStream");
        assert_eq!(wrapped.api_version, "image.openshift.io/v1");
        assert_eq!(wrapped.metadata.generation, Some(4));
        assert_eq!(
            (*wrapped).metadata.name,
            "",
            "the inner metadata keeps only the residue"
        );
        let back = wrapped.into_inner();
        assert_eq!(back.metadata, is.metadata);
        assert_eq!(back.kind, "ImageStream");
    }
}
