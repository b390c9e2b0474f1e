'use strict';
// The program picker of an admin form offers the programs of the school chosen beside
// it: its search sends that school (ProgramAdmin.get_search_results filters on it), and
// choosing another school clears a program picked for the previous one. The form still
// checks the pair when it is saved.
{
    const $ = django.jQuery;

    function filterPrograms() {
        const school = document.getElementById('id_school');
        const program = document.getElementById('id_program');
        if (!school || !program || !program.classList.contains('admin-autocomplete')) {
            return;
        }
        const $program = $(program);
        if ($program.data('select2')) {
            $program.select2('destroy');
        }
        // The same widget as Django's autocomplete.js makes, its search naming the school.
        $program.select2({
            ajax: {
                data: (params) => ({
                    term: params.term,
                    page: params.page,
                    app_label: program.dataset.appLabel,
                    model_name: program.dataset.modelName,
                    field_name: program.dataset.fieldName,
                    school: school.value
                })
            }
        });
        let chosen = school.value;
        $(school).on('change', () => {
            if (school.value !== chosen) {
                chosen = school.value;
                $program.val(null).trigger('change');
            }
        });
    }

    // After autocomplete.js has set every picker up (it does so when the page is ready).
    window.addEventListener('load', filterPrograms);
}
