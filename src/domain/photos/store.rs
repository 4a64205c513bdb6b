//! Where photo bytes live: any `object_store::ObjectStore` (a folder on local disk by
//! default), addressed by keys that are content hashes, so an object never changes once
//! written and can be cached forever.

use std::{path::PathBuf, sync::Arc};

use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload, local::LocalFileSystem, path::Path};
use tokio::sync::Semaphore;

use super::image::Kind;
use crate::error::{AppError, AppResult};

/// Images processed at once: decoding an 8000×8000 photo takes a few hundred megabytes.
const PROCESSING_AT_ONCE: usize = 2;

/// How a deployment stores photos, as the configuration says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSettings {
    /// The folder objects are kept in, when no bucket is configured.
    pub dir: PathBuf,
    /// What a key is appended to in a photo's URL: `/media` (served by yizhan) or a CDN's
    /// or bucket's public address.
    pub base_url: String,
    /// An S3-compatible bucket instead of the folder (builds with the `s3` feature).
    pub bucket: Option<BucketSettings>,
}

/// An S3-compatible bucket: AWS S3, Alibaba OSS, Tencent COS or a `MinIO` server.
#[derive(Clone, PartialEq, Eq)]
pub struct BucketSettings {
    /// `s3://bucket`.
    pub url: String,
    /// The service's address, for services other than AWS (`https://oss-cn-hangzhou.aliyuncs.com`).
    pub endpoint: Option<String>,
    /// The region, such as `cn-hangzhou`.
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key (redacted in `Debug`).
    pub secret_access_key: Option<String>,
    /// Address the bucket as `bucket.endpoint` (OSS and COS need this).
    pub virtual_hosted: bool,
}

impl std::fmt::Debug for BucketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketSettings")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("virtual_hosted", &self.virtual_hosted)
            .finish()
    }
}

/// The photo store and how its objects are reached. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
    base_url: String,
    pub(super) processing: Arc<Semaphore>,
}

/// An object read back from the store.
#[derive(Debug)]
pub struct StoredObject {
    /// Its bytes.
    pub bytes: bytes::Bytes,
    /// `image/jpeg`, `image/png` or `image/webp`, from the key.
    pub media_type: &'static str,
}

fn storage_failure(error: object_store::Error) -> AppError {
    AppError::internal(anyhow::anyhow!("media store: {error}"))
}

impl Media {
    /// The store the settings name: the bucket when one is configured, else the folder
    /// (created when missing).
    pub fn open(settings: &MediaSettings) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match &settings.bucket {
            Some(bucket) => bucket_store(bucket)?,
            None => {
                std::fs::create_dir_all(&settings.dir)?;
                Arc::new(LocalFileSystem::new_with_prefix(&settings.dir)?)
            }
        };
        Ok(Self::new(store, settings.base_url.clone()))
    }

    /// Photos kept in `store`, linked under `base_url`.
    pub fn new(store: Arc<dyn ObjectStore>, base_url: String) -> Self {
        Self {
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
            processing: Arc::new(Semaphore::new(PROCESSING_AT_ONCE)),
        }
    }

    /// The public URL of a key.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}/{key}", self.base_url)
    }

    /// Writes an object unless one is already stored under its key. True when this call
    /// created it, so that only what it created is removed if the upload then fails.
    pub(super) async fn put_new(&self, key: &str, bytes: Vec<u8>) -> AppResult<bool> {
        let path = Path::parse(key).map_err(|error| AppError::internal(anyhow::anyhow!("{error}")))?;
        match self
            .store
            .put_opts(&path, PutPayload::from(bytes), PutMode::Create.into())
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(error) => Err(storage_failure(error)),
        }
    }

    /// Removes objects; a failure is logged (an unreachable object is harmless).
    pub(super) async fn delete(&self, keys: &[String]) {
        for key in keys {
            let Ok(path) = Path::parse(key) else { continue };
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => tracing::warn!(%key, error = %error, "could not delete a photo object"),
            }
        }
    }

    /// The object under a key as `/media/{key}` serves it; `None` for a key that is not a
    /// photo key or names nothing stored.
    pub async fn get(&self, key: &str) -> AppResult<Option<StoredObject>> {
        let Some(kind) = parse_key(key) else {
            return Ok(None);
        };
        let path = Path::parse(key).map_err(|error| AppError::internal(anyhow::anyhow!("{error}")))?;
        let found = match self.store.get(&path).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(storage_failure(error)),
        };
        Ok(Some(StoredObject {
            bytes: found.bytes().await.map_err(storage_failure)?,
            media_type: kind.media_type(),
        }))
    }
}

#[cfg(feature = "s3")]
fn bucket_store(bucket: &BucketSettings) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let mut builder = object_store::aws::AmazonS3Builder::new()
        .with_url(&bucket.url)
        .with_virtual_hosted_style_request(bucket.virtual_hosted);
    if let Some(endpoint) = &bucket.endpoint {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    if let Some(region) = &bucket.region {
        builder = builder.with_region(region);
    }
    if let Some(key) = &bucket.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &bucket.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    Ok(Arc::new(builder.build()?))
}

#[cfg(not(feature = "s3"))]
fn bucket_store(_: &BucketSettings) -> anyhow::Result<Arc<dyn ObjectStore>> {
    anyhow::bail!(
        "this build of yizhan has no S3 client; build it with `cargo build --release --features s3`"
    )
}

/// The key of a photo of `place_id` whose stored bytes hash to `sha256` (hex).
pub(super) fn key(place_id: i32, sha256: &str, thumbnail: bool, kind: Kind) -> String {
    let suffix = if thumbnail { "-thumb" } else { "" };
    format!("{place_id}/{sha256}{suffix}.{}", kind.extension())
}

/// The kind of a well-formed photo key (`<place>/<64 hex>[-thumb].<ext>`), so nothing but
/// photo objects can be asked for.
pub fn parse_key(key: &str) -> Option<Kind> {
    let (place, file) = key.split_once('/')?;
    let (stem, extension) = file.split_once('.')?;
    let hash = stem.strip_suffix("-thumb").unwrap_or(stem);
    let well_formed = !place.is_empty()
        && place.len() <= 10
        && place.bytes().all(|b| b.is_ascii_digit())
        && hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    well_formed.then(|| Kind::from_extension(extension)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_photo_keys_parse() {
        let hash = "a".repeat(64);
        assert_eq!(parse_key(&key(7, &hash, false, Kind::Jpeg)), Some(Kind::Jpeg));
        assert_eq!(parse_key(&key(7, &hash, true, Kind::WebP)), Some(Kind::WebP));
        assert_eq!(parse_key(&format!("../{hash}.jpg")), None);
        assert_eq!(parse_key(&format!("7/{hash}.gif")), None);
        assert_eq!(parse_key("7/x.jpg"), None);
        assert_eq!(parse_key(&format!("7/{hash}.jpg/x")), None);
    }
}
