"""The Model risk area: revalidation dashboard and attestations."""
