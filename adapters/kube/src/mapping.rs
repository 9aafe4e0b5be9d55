//! Creating an `ImageStreamMapping`, the call a registry makes after a
//! push.

use imagestream::api;
use kube::Resource;
use kube::api::PostParams;
use kube::core::Request;

use crate::ImageStreamMapping;

/// Creates `mapping` in its namespace and returns the server's answer.
///
/// OpenShift answers the create with a `metav1.Status`
/// (`{"kind":"Status","status":"Success",…}`), not the mapping, so
/// `kube::Api::create` (which decodes the answer as the type sent) would
/// hand back an empty mapping; this reads the `Status`. A refusal (403,
/// 404 for the stream, 422 for a field) is the `kube::Error::Api` with
/// the server's status, as from any call.
///
/// ```no_run
/// // no_run: needs a cluster in the kubeconfig.
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use imagestream::api;
///
/// let client = kube::Client::try_default().await?;
/// let mut mapping = api::ImageStreamMapping::default();
/// mapping.metadata.name = "app".into();
/// mapping.metadata.namespace = "ci".into();
/// mapping.tag = "latest".into();
/// mapping.image.metadata.name = "sha256:…".into();
/// let status = imagestream_kube::create_mapping(&client, &mapping.into()).await?;
/// assert_eq!(status.status, "Success");
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`kube::Error::BuildRequest`] for a mapping without a namespace, the
/// server's refusal, or a transport failure.
pub async fn create_mapping(
    client: &kube::Client,
    mapping: &ImageStreamMapping,
) -> Result<api::Status, kube::Error> {
    let namespace = mapping
        .metadata
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            kube::Error::BuildRequest(kube::core::request::Error::Validation(
                "an ImageStreamMapping needs metadata.namespace (the stream's)".into(),
            ))
        })?;
    let url = ImageStreamMapping::url_path(&(), Some(namespace));
    let body = serde_json::to_vec(mapping).map_err(kube::Error::SerdeError)?;
    let request = Request::new(url)
        .create(&PostParams::default(), body)
        .map_err(kube::Error::BuildRequest)?;
    client.request::<api::Status>(request).await
}
