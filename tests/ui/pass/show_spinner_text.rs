use fncache::cache_resource;

#[cache_resource(show_spinner = "Loading the model...", show_time = true)]
fn model(name: String) -> Vec<f32> {
    vec![name.len() as f32]
}

fn main() {
    assert_eq!(*model("tiny".into()), vec![4.0]);
    assert_eq!(model::__fncache().len(), 1);
}
